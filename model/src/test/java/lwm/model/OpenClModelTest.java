package lwm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.kernels.opencl.OpenClKernels;
import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import lwm.model.train.AdamW;
import lwm.model.train.LossWeighting;
import lwm.model.train.Param;
import lwm.model.train.TrainStep;
import lwm.model.train.TrainableLlama;
import lwm.model.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole model on the OpenCL backend (PoCL in CI): the forward pass of the tiny fixture and one
 * training step (loss and every gradient) equal the same computation on {@link ScalarKernels} within 1e-4.
 * Like the kernel tests, a missing OpenCL runtime fails unless {@code LWM_NO_OPENCL=1}.
 */
class OpenClModelTest {
    static final Path DIR = Path.of(System.getProperty("lwm.root", "."), "..", "shared", "fixtures", "tiny-lwm-f32");
    static OpenClKernels cl;

    @BeforeAll
    static void open() {
        Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        String idx = System.getenv("LWM_OPENCL_DEVICE");
        cl = new OpenClKernels(idx == null || idx.isBlank() ? 0 : Integer.parseInt(idx.trim()));
    }

    @AfterAll
    static void close() {
        if (cl != null) cl.close();
    }

    static int[] positions(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    @Test
    void forwardOnOpenClEqualsCpu() throws Exception {
        LlamaWeights w = LlamaCheckpoint.load(DIR).weights();
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
        Kernels cpu = new ScalarKernels();
        LlamaModel onCpu = new LlamaModel(w, cpu), onCl = new LlamaModel(w, cl);
        for (JsonNode seq : ref.get("logits")) {
            int[] ids = new int[seq.get("input_ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = seq.get("input_ids").get(i).asInt();
            float[] want = onCpu.forwardLocal(ids, positions(ids.length), new LocalAttention(cpu), null, LlamaModel.Logits.ALL);
            float[] got = onCl.forwardLocal(ids, positions(ids.length), new LocalAttention(cl), null, LlamaModel.Logits.ALL);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++)
                if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i]))))
                    fail("length " + ids.length + ": logit " + i + " cpu " + want[i] + " opencl " + got[i]);
            // and with the KV cache (decode path: one token at a time after a prefill)
            KvCache cc = onCpu.newCache(ids.length, KvCache.Storage.F32), cg = onCl.newCache(ids.length, KvCache.Storage.F32);
            int n = Math.min(ids.length, 9);
            onCpu.forward(Arrays.copyOf(ids, n - 1), positions(n - 1), cc, LlamaModel.Logits.NONE);
            onCl.forward(Arrays.copyOf(ids, n - 1), positions(n - 1), cg, LlamaModel.Logits.NONE);
            float[] a = onCpu.forward(new int[] {ids[n - 1]}, new int[] {n - 1}, cc, LlamaModel.Logits.LAST);
            float[] b = onCl.forward(new int[] {ids[n - 1]}, new int[] {n - 1}, cg, LlamaModel.Logits.LAST);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * (1 + Math.abs(a[i])), "decode logit " + i);
        }
    }

    /** Weights, activations and KV cache on the device: prefill in two chunks, then decode, against the CPU. */
    @Test
    void deviceResidentForwardEqualsCpu() throws Exception {
        LlamaWeights w = LlamaCheckpoint.load(DIR).weights();
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
        Kernels cpu = new ScalarKernels();
        LlamaModel onCpu = new LlamaModel(w, cpu);
        JsonNode seq = ref.get("logits").get(1);
        int[] ids = new int[seq.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = seq.get("input_ids").get(i).asInt();
        int n = ids.length, V = w.config().vocabSize(), cut = n / 3;
        KvCache cc = onCpu.newCache(n, KvCache.Storage.F32);
        try (lwm.model.opencl.ClLlamaModel dev = new lwm.model.opencl.ClLlamaModel(w, cl.ops(), n, RopeStyle.ROTATE_HALF)) {
            int[][] chunks = {Arrays.copyOfRange(ids, 0, cut), Arrays.copyOfRange(ids, cut, n - 1), {ids[n - 1]}};
            int at = 0;
            for (int[] chunk : chunks) {
                int[] pos = new int[chunk.length];
                for (int i = 0; i < pos.length; i++) pos[i] = at + i;
                float[] want = onCpu.forward(chunk, pos, cc, LlamaModel.Logits.ALL);
                float[] got = dev.forward(chunk, pos, LlamaModel.Logits.ALL);
                assertEquals(chunk.length * V, got.length);
                for (int i = 0; i < want.length; i++)
                    if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i]))))
                        fail("tokens from " + at + ": logit " + i + " cpu " + want[i] + " device " + got[i]);
                at += chunk.length;
            }
            assertEquals(n, dev.length());
            assertThrows(IllegalArgumentException.class, () -> dev.forward(new int[] {1}, new int[] {n}, LlamaModel.Logits.LAST), "cache full");
        }
    }

    /**
     * {@link Generator} over the device-resident model: a prefill in chunks of 16, a decode well past the
     * last chunk, a rewind into the answer (the device cache truncated) and a second turn, token for token
     * as over the CPU model and its host cache.
     */
    @Test
    void generatorOnTheDeviceEqualsCpuThroughARewind() throws Exception {
        LlamaWeights w = LlamaCheckpoint.load(DIR).weights();
        JsonNode seq = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile()).get("logits").get(1);
        int[] ids = new int[seq.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = seq.get("input_ids").get(i).asInt();
        int[] prompt = Arrays.copyOf(ids, 40), turn2 = Arrays.copyOfRange(ids, 40, 47);
        LlamaModel onCpu = new LlamaModel(w, new ScalarKernels());
        try (lwm.model.opencl.ClLlamaModel dev = new lwm.model.opencl.ClLlamaModel(w, cl.ops(), 80, RopeStyle.ROTATE_HALF)) {
            Generator gCpu = new Generator(onCpu, onCpu.newCache(80, KvCache.Storage.F32), 16), gDev = new Generator(dev, 16);
            Generator.Result a = gCpu.generate(prompt, 20, Sampler.greedy(), id -> false, new Generator.Listener() {});
            Generator.Result b = gDev.generate(prompt, 20, Sampler.greedy(), id -> false, new Generator.Listener() {});
            assertArrayEquals(a.newTokens(), b.newTokens(), "first turn");
            assertEquals(59, dev.length(), "40 prompt ids and 19 fed-back tokens (the last one is pending)");
            gCpu.rewind(50);
            gDev.rewind(50);
            assertEquals(49, dev.length());
            a = gCpu.generate(turn2, 12, Sampler.greedy(), id -> false, new Generator.Listener() {});
            b = gDev.generate(turn2, 12, Sampler.greedy(), id -> false, new Generator.Listener() {});
            assertArrayEquals(a.newTokens(), b.newTokens(), "second turn after the rewind");
            assertArrayEquals(gCpu.tokens(), gDev.tokens());
            // 69 tokens: 68 cached and 1 pending; 12 more cannot fit a context of 80
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gDev.generate(new int[] {5}, 12, Sampler.greedy(), id -> false, new Generator.Listener() {}));
            assertTrue(e.getMessage().contains("exceeds the context of 80"), e.getMessage());
        }
    }

    /** bf16 weights with tied embeddings (the head reuses the uploaded table) and grouped-query attention, against the CPU. */
    @Test
    void deviceResidentTiedBf16GqaEqualsCpu() {
        long seed = System.nanoTime();
        LlamaConfig c = new LlamaConfig(75, 32, 72, 3, 4, 1, 8, 128, 1e6, 1e-5f, true, 1, 2);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            LlamaWeights w = LlamaWeights.from(c, TensorSource.of(RandomWeights.create(c, lwm.tensor.DType.BF16, seed, arena)));
            assertSame(w.embed(), w.lmHead());
            SplittableRandom r = new SplittableRandom(seed);
            int[] ids = new int[29];
            for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(c.vocabSize());
            LlamaModel onCpu = new LlamaModel(w, new ScalarKernels());
            KvCache cc = onCpu.newCache(ids.length, KvCache.Storage.F32);
            try (lwm.model.opencl.ClLlamaModel dev = new lwm.model.opencl.ClLlamaModel(w, cl.ops(), ids.length, RopeStyle.ROTATE_HALF)) {
                for (int[] span : new int[][] {{0, 20}, {20, 28}, {28, 29}}) {
                    int[] chunk = Arrays.copyOfRange(ids, span[0], span[1]), pos = new int[chunk.length];
                    for (int i = 0; i < pos.length; i++) pos[i] = span[0] + i;
                    float[] want = onCpu.forward(chunk, pos, cc, LlamaModel.Logits.ALL), got = dev.forward(chunk, pos, LlamaModel.Logits.ALL);
                    for (int i = 0; i < want.length; i++)
                        if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i]))))
                            fail("tokens from " + span[0] + ": logit " + i + " cpu " + want[i] + " device " + got[i] + " (seed " + seed + ")");
                }
            }
        }
    }

    @Test
    void trainingStepOnOpenClEqualsCpu() {
        long seed = System.nanoTime();
        LlamaConfig c = new LlamaConfig(53, 32, 40, 2, 4, 2, 8, 128, 10000, 1e-5f, false, 1, 2);
        SplittableRandom r = new SplittableRandom(seed);
        long init = r.nextLong();
        int[] doc = new int[37];
        for (int i = 0; i < doc.length; i++) doc[i] = r.nextInt(c.vocabSize());
        List<PackedRow> rows = List.of(RowBuilder.pack(40, 0, false,
                new Document(Arrays.copyOf(doc, 20)), new Document(Arrays.copyOfRange(doc, 20, 37))));
        TrainableLlama mCpu = TrainableLlama.initialise(c, init, 0.3), mCl = TrainableLlama.initialise(c, init, 0.3);
        Kernels cpu = new ScalarKernels();
        TrainStep.Options opt = new TrainStep.Options(16, 16, 24, 20, false, RopeStyle.ROTATE_HALF);
        Trainer tCpu = new Trainer(mCpu, cpu, new LocalAttention(cpu), GradientSync.SINGLE, TokenPartition.WHOLE, opt,
                LossWeighting.perExample(), AdamW.lwm(mCpu.params(), 0));
        Trainer tCl = new Trainer(mCl, cl, new LocalAttention(cl), GradientSync.SINGLE, TokenPartition.WHOLE, opt,
                LossWeighting.perExample(), AdamW.lwm(mCl.params(), 0));
        double lossCpu = tCpu.lossAndGradients(rows), lossCl = tCl.lossAndGradients(rows);
        assertEquals(lossCpu, lossCl, 1e-4 * (1 + Math.abs(lossCpu)), "loss (seed " + seed + ")");
        for (int p = 0; p < mCpu.params().size(); p++) {
            Param a = mCpu.params().get(p), b = mCl.params().get(p);
            double maxAbs = 0;
            for (float g : a.grad) maxAbs = Math.max(maxAbs, Math.abs(g));
            for (int i = 0; i < a.size(); i++)
                if (!(Math.abs(a.grad[i] - b.grad[i]) <= 1e-4 * (maxAbs + 1e-6)))
                    fail(a.name + "[" + i + "]: cpu gradient " + a.grad[i] + " opencl " + b.grad[i] + " (largest " + maxAbs + ", seed " + seed + ")");
        }
    }
}
