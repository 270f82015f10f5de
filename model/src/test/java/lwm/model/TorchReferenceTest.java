package lwm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import lwm.kernels.ScalarKernels;
import lwm.kernels.VectorKernels;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The forward pass against a PyTorch reference (src/test/resources/lwm/model/reference_llama.py) on random
 * checkpoints this test writes: bf16 and f16 weights, grouped-query attention, tied embeddings. All cases
 * go to one python process (torch starts slowly).
 */
class TorchReferenceTest {
    record Case(String name, LlamaConfig config, DType dtype, Path dir, int[] ids) {}

    @TempDir static Path tmp;
    static final List<Case> CASES = new ArrayList<>();
    static JsonNode results;
    static final long SEED = new Random().nextLong();

    static LlamaConfig cfg(int vocab, int hidden, int inter, int layers, int heads, int kv, int headDim, boolean tied, double theta) {
        return new LlamaConfig(vocab, hidden, inter, layers, heads, kv, headDim, 4096, theta, 1e-5f, tied, 1, 2);
    }

    @BeforeAll
    static void runReference() throws Exception {
        add("bf16 MHA", cfg(97, 48, 80, 2, 6, 6, 8, false, 1e4), DType.BF16, 23);
        add("f16 GQA 8/2", cfg(120, 64, 100, 2, 8, 2, 8, false, 5e7), DType.F16, 37);
        add("bf16 GQA 4/1 tied", cfg(75, 32, 72, 3, 4, 1, 8, true, 1e6), DType.BF16, 19);
        add("f32 tied headDim 16", cfg(64, 32, 40, 1, 2, 2, 16, true, 1e4), DType.F32, 11);
        ArrayNode jobs = new ObjectMapper().createArrayNode();
        for (Case c : CASES) {
            var j = jobs.addObject();
            j.put("dir", c.dir().toString());
            var ids = j.putArray("ids");
            for (int id : c.ids()) ids.add(id);
        }
        Path in = tmp.resolve("jobs.json"), out = tmp.resolve("out.json");
        new ObjectMapper().writeValue(in.toFile(), jobs);
        Path script = Path.of(TorchReferenceTest.class.getResource("reference_llama.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), in.toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python reference timed out");
        assertEquals(0, p.exitValue(), "python reference failed: " + log);
        results = new ObjectMapper().readTree(out.toFile());
    }

    static void add(String name, LlamaConfig c, DType dtype, int tokens) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m" + CASES.size()));
        long seed = SEED + CASES.size();
        try (Arena a = Arena.ofShared()) {
            Map<String, Tensor> w = RandomWeights.create(c, dtype, seed, a, 0.25);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w);
        }
        c.write(dir.resolve("config.json"), dtype.name().toLowerCase());
        Random r = new Random(seed);
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) ids[i] = r.nextInt(c.vocabSize());
        CASES.add(new Case(name, c, dtype, dir, ids));
    }

    @Test
    void logitsMatchPyTorchForEveryCase() {
        for (int ci = 0; ci < CASES.size(); ci++) {
            Case c = CASES.get(ci);
            try (LlamaCheckpoint ckpt = LlamaCheckpoint.load(c.dir())) {
                assertEquals(c.dtype(), ckpt.weights().dtype(), c.name());
                check(c, new LlamaModel(ckpt.weights(), new ScalarKernels()), results.get(ci));
                try (VectorKernels vk = new VectorKernels()) {
                    check(c, new LlamaModel(ckpt.weights(), vk), results.get(ci)); // the backend ./lwm uses on cpu
                }
            }
        }
    }

    /** Every position's logits, run in chunks of 5 over cache pages of 4 (the page merge on every case). */
    static void check(Case c, LlamaModel m, JsonNode ref) {
        LlamaConfig cfg = m.config();
        int V = cfg.vocabSize(), n = c.ids().length;
        KvCache cache = new KvCache(cfg.layers(), cfg.kvDim(), n, 4, KvCache.Storage.F32);
        for (int s = 0; s < n; s += 5) {
            int e = Math.min(n, s + 5);
            int[] pos = new int[e - s];
            for (int i = 0; i < pos.length; i++) pos[i] = s + i;
            float[] logits = m.forward(java.util.Arrays.copyOfRange(c.ids(), s, e), pos, cache, LlamaModel.Logits.ALL);
            for (int t = s; t < e; t++) {
                JsonNode row = ref.get("logits").get(t);
                double num = 0, den = 0;
                for (int v = 0; v < V; v++) {
                    double d = logits[(t - s) * V + v] - row.get(v).asDouble();
                    num += d * d;
                    den += row.get(v).asDouble() * row.get(v).asDouble();
                }
                double err = Math.sqrt(num / den);
                assertTrue(err < 1e-4, c.name() + ": position " + t + " relative L2 error " + err + " (seed " + SEED + ")");
                assertEquals(ref.get("argmax").get(t).asInt(), Sampler.argmax(logits, (t - s) * V, V), c.name() + ": argmax at " + t);
            }
        }
    }
}
