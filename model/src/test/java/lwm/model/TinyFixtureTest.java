package lwm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.model.parallel.LocalAttention;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The forward pass against Hugging Face transformers' outputs for /work/shared/fixtures/tiny-lwm-f32. */
class TinyFixtureTest {
    static final Path DIR = Path.of(System.getProperty("lwm.root", "."), "..", "shared", "fixtures", "tiny-lwm-f32");
    static LlamaModel model;
    static JsonNode ref;
    static final Kernels K = new ScalarKernels();

    @BeforeAll
    static void load() throws Exception {
        model = new LlamaModel(LlamaCheckpoint.load(DIR).weights(), K); // mapped for the whole test class
        ref = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }

    static double relL2(float[] got, int off, float[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[off + i] - want[i];
            num += d * d;
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    static int[] positions(int from, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = from + i;
        return p;
    }

    static int[] argmaxRows(float[] logits, int rows, int V) {
        int[] a = new int[rows];
        for (int r = 0; r < rows; r++) a[r] = Sampler.argmax(logits, r * V, V);
        return a;
    }

    /** Every row's logits when the ids run through the cache in chunks of {@code chunk}. */
    static float[] chunked(int[] ids, int chunk, KvCache cache) {
        int V = model.config().vocabSize();
        float[] all = new float[ids.length * V];
        for (int s = 0; s < ids.length; s += chunk) {
            int e = Math.min(ids.length, s + chunk);
            float[] l = model.forward(Arrays.copyOfRange(ids, s, e), positions(s, e - s), cache, LlamaModel.Logits.ALL);
            System.arraycopy(l, 0, all, s * V, l.length);
        }
        return all;
    }

    void checkAll(String how, float[] logits, JsonNode seq) {
        int[] ids = ints(seq.get("input_ids"));
        int V = model.config().vocabSize();
        assertArrayEquals(ints(seq.get("argmax")), argmaxRows(logits, ids.length, V), how + ": argmax at every position, length " + ids.length);
        double err = relL2(logits, (ids.length - 1) * V, floats(seq.get("last_logits")));
        assertTrue(err < 1e-4, how + ": last logits relative L2 error " + err + " for length " + ids.length);
        float[] first16 = floats(seq.get("logits_rows_0_and_last_first16").get(0));
        assertTrue(relL2(logits, 0, first16) < 1e-4, how + ": row 0 logits");
    }

    @Test
    void wholePrefillMatchesTransformers() {
        for (JsonNode seq : ref.get("logits")) {
            int[] ids = ints(seq.get("input_ids"));
            KvCache cache = model.newCache(ids.length, KvCache.Storage.F32);
            checkAll("whole", model.forward(ids, positions(0, ids.length), cache, LlamaModel.Logits.ALL), seq);
            assertEquals(ids.length, cache.length());
        }
    }

    @Test
    void chunkedPrefillOverSmallPagesMatchesTransformers() {
        for (JsonNode seq : ref.get("logits")) {
            int[] ids = ints(seq.get("input_ids"));
            // chunk and page sizes that do not divide each other or the length
            KvCache cache = new KvCache(model.config().layers(), model.config().kvDim(), ids.length + 5, 13, KvCache.Storage.F32);
            checkAll("chunk 7, page 13", chunked(ids, 7, cache), seq);
        }
    }

    @Test
    void localAttentionPrefillMatchesTransformers() {
        for (JsonNode seq : ref.get("logits")) {
            int[] ids = ints(seq.get("input_ids"));
            checkAll("forwardLocal", model.forwardLocal(ids, positions(0, ids.length), new LocalAttention(K), null, LlamaModel.Logits.ALL), seq);
        }
    }

    @Test
    void decodingAfterLocalPrefillContinuesFromItsCache() {
        JsonNode seq = ref.get("logits").get(1);
        int[] ids = ints(seq.get("input_ids"));
        int n = ids.length - 1;
        KvCache cache = model.newCache(ids.length, KvCache.Storage.F32);
        model.forwardLocal(Arrays.copyOf(ids, n), positions(0, n), new LocalAttention(K), cache, LlamaModel.Logits.NONE);
        float[] last = model.forward(new int[]{ids[n]}, new int[]{n}, cache, LlamaModel.Logits.LAST);
        assertTrue(relL2(last, 0, floats(seq.get("last_logits"))) < 1e-4);
    }

    @Test
    void bf16CacheStaysClose() {
        JsonNode seq = ref.get("logits").get(2);
        int[] ids = ints(seq.get("input_ids"));
        KvCache cache = new KvCache(model.config().layers(), model.config().kvDim(), ids.length, 64, KvCache.Storage.BF16);
        float[] l = chunked(ids, 50, cache);
        double err = relL2(l, (ids.length - 1) * model.config().vocabSize(), floats(seq.get("last_logits")));
        assertTrue(err < 2e-2, "bf16 KV cache error " + err);
        assertTrue(err > 0, "a bf16 cache must round something: is it really bf16?");
    }

    @Test
    void greedyGenerationMatchesTransformers() {
        int[] prompt = ints(ref.get("greedy").get("prompt")), want = ints(ref.get("greedy").get("output"));
        for (int chunk : new int[]{1, 3, 64}) {
            KvCache cache = new KvCache(model.config().layers(), model.config().kvDim(), want.length, 5, KvCache.Storage.F32);
            Generator g = new Generator(model, cache, chunk);
            Generator.Result r = g.generate(prompt, want.length - prompt.length, Sampler.greedy(), id -> false, new Generator.Listener() {});
            int[] got = new int[prompt.length + r.newTokens().length];
            System.arraycopy(prompt, 0, got, 0, prompt.length);
            System.arraycopy(r.newTokens(), 0, got, prompt.length, r.newTokens().length);
            assertArrayEquals(want, got, "greedy output with prefill chunk " + chunk);
            assertFalse(r.stoppedAtEos());
        }
    }

    @Test
    void generationStopsAtStopTokenAndContinuesTheConversation() {
        int[] prompt = ints(ref.get("greedy").get("prompt")), want = ints(ref.get("greedy").get("output"));
        int stopAt = want[prompt.length + 3];
        KvCache cache = model.newCache(want.length, KvCache.Storage.F32);
        Generator g = new Generator(model, cache, 2);
        List<Integer> streamed = new ArrayList<>();
        Generator.Result r = g.generate(prompt, 20, Sampler.greedy(), id -> id == stopAt, new Generator.Listener() {
            @Override public boolean token(int id) { streamed.add(id); return true; }
        });
        assertTrue(r.stoppedAtEos());
        assertArrayEquals(Arrays.copyOfRange(want, prompt.length, prompt.length + 4), r.newTokens());
        assertEquals(4, streamed.size());
        // the next turn with no new prompt tokens continues exactly where greedy decoding would
        Generator.Result more = g.generate(new int[0], 3, Sampler.greedy(), id -> false, new Generator.Listener() {});
        assertArrayEquals(Arrays.copyOfRange(want, prompt.length + 4, prompt.length + 7), more.newTokens());
    }

    @Test
    void rewindingAConversationReusesTheCacheUpToTheCommonPrefix() {
        int[] prompt = ints(ref.get("greedy").get("prompt")), want = ints(ref.get("greedy").get("output"));
        KvCache cache = new KvCache(model.config().layers(), model.config().kvDim(), want.length, 3, KvCache.Storage.F32);
        Generator g = new Generator(model, cache, 4);
        g.generate(prompt, 6, Sampler.greedy(), id -> false, new Generator.Listener() {});
        assertArrayEquals(Arrays.copyOf(want, prompt.length + 6), g.tokens());
        int keep = prompt.length + 2;
        g.rewind(keep);
        assertEquals(keep - 1, cache.length());
        Generator.Result r = g.generate(new int[0], 3, Sampler.greedy(), id -> false, new Generator.Listener() {});
        assertArrayEquals(Arrays.copyOfRange(want, keep, keep + 3), r.newTokens());
        // rewinding into the prompt and feeding the rest again gives the same continuation
        g.rewind(2);
        Generator.Result again = g.generate(Arrays.copyOfRange(prompt, 2, prompt.length), 4, Sampler.greedy(), id -> false, new Generator.Listener() {});
        assertArrayEquals(Arrays.copyOfRange(want, prompt.length, prompt.length + 4), again.newTokens());
        g.rewind(0);
        assertEquals(0, cache.length());
        assertThrows(IllegalArgumentException.class, () -> g.rewind(1));
    }
}
