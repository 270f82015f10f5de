package lwm.model.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.kernels.opencl.ClContext;
import lwm.kernels.opencl.ClOps;
import lwm.model.LlamaConfig;
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
 * The device-resident training step against the CPU {@link Trainer} on {@link ScalarKernels}: three
 * consecutive optimizer steps on packed rows (several segments, fractional loss masks, padding) give the
 * same losses, gradient norms and final parameters and AdamW moments within 1e-4 relative. A missing OpenCL
 * runtime fails unless {@code LWM_NO_OPENCL=1}.
 */
class ClTrainerTest {
    static ClContext ctx;
    static ClOps ops;

    @BeforeAll
    static void open() {
        Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        String idx = System.getenv("LWM_OPENCL_DEVICE");
        ctx = ClContext.open(idx == null || idx.isBlank() ? 0 : Integer.parseInt(idx.trim()));
        ops = new ClOps(ctx);
    }

    @AfterAll
    static void close() {
        if (ops != null) ops.close();
        if (ctx != null) ctx.close();
    }

    private static Document doc(SplittableRandom r, int vocab, int len) {
        int[] ids = new int[len];
        float[] mask = new float[len];
        for (int i = 0; i < len; i++) {
            ids[i] = r.nextInt(vocab);
            mask[i] = i < len / 3 ? 0f : (float) (0.25 + r.nextDouble()); // a prompt without loss, then uneven weights
        }
        return new Document(ids, mask, null);
    }

    /** Runs 3 steps on both paths and compares; returns the CPU gradient norms. */
    private double[] compare(LlamaConfig c, List<PackedRow> rows, TrainStep.Options opt, double clip, long seed) {
        TrainableLlama mCpu = TrainableLlama.initialise(c, seed, 0.3), mCl = TrainableLlama.initialise(c, seed, 0.3);
        Kernels cpu = new ScalarKernels();
        AdamW aCpu = new AdamW(mCpu.params(), 0.9, 0.95, 1e-8, 0.1, clip), aCl = new AdamW(mCl.params(), 0.9, 0.95, 1e-8, 0.1, clip);
        // the device trainer computes the last layer on every row: so does the reference (the scored-rows path has
        // its own PyTorch parity tests), so that both sum the same terms in the same groups
        Trainer tCpu = new Trainer(mCpu, cpu, new LocalAttention(cpu), GradientSync.SINGLE, TokenPartition.WHOLE, opt.withLastLayerOnScoredRows(false),
                LossWeighting.perExample(), aCpu);
        double[] norms = new double[3];
        try (ClTrainer tCl = new ClTrainer(mCl, aCl, ops, opt, LossWeighting.perExample())) {
            for (int step = 0; step < 3; step++) {
                double lr = 2e-3 * (step + 1);
                Trainer.StepResult a = tCpu.train(rows, lr), b = tCl.train(rows, lr);
                assertEquals(a.loss(), b.loss(), 1e-4 * Math.abs(a.loss()), "loss of step " + (step + 1) + " (seed " + seed + ")");
                assertEquals(a.gradNorm(), b.gradNorm(), 1e-4 * a.gradNorm(), "gradient norm of step " + (step + 1) + " (seed " + seed + ")");
                assertEquals(a.tokens(), b.tokens());
                norms[step] = a.gradNorm();
            }
            tCl.download();
        }
        assertEquals(3, aCl.step());
        for (int p = 0; p < mCpu.params().size(); p++) {
            Param a = mCpu.params().get(p), b = mCl.params().get(p);
            close(a.name, a.data, b.data, seed);
            close("m." + a.name, aCpu.firstMoment(p), aCl.firstMoment(p), seed);
            close("v." + a.name, aCpu.secondMoment(p), aCl.secondMoment(p), seed);
        }
        return norms;
    }

    /** max |a - b| <= 1e-4 x max |a| over the tensor. */
    private static void close(String what, float[] want, float[] got, long seed) {
        double maxAbs = 0, err = 0;
        int worst = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            double e = Math.abs((double) want[i] - got[i]);
            if (!(e <= err)) { err = e; worst = i; }
        }
        if (!(err <= 1e-4 * (maxAbs + 1e-12)))
            fail(what + "[" + worst + "]: cpu " + want[worst] + " opencl " + got[worst] + " (largest " + maxAbs + ", seed " + seed + ")");
    }

    @Test
    void threeStepsOnAPackedRowEqualCpuWithClipping() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        // GQA (4 heads over 2 kv heads), odd vocabulary, FFN and row length; 3 documents then padding
        LlamaConfig c = new LlamaConfig(61, 32, 43, 2, 4, 2, 8, 128, 10000, 1e-5f, false, 1, 2);
        List<PackedRow> rows = List.of(RowBuilder.pack(47, 0, false, doc(r, 61, 13), doc(r, 61, 19), doc(r, 61, 9)));
        TrainStep.Options opt = new TrainStep.Options(16, 16, 20, 15, false, RopeStyle.ROTATE_HALF);
        double[] norms = compare(c, rows, opt, 1.0, r.nextLong());
        assertTrue(norms[0] > 1.0, "clipping must engage in this case: |g| " + norms[0] + " (seed " + seed + ")");
    }

    @Test
    void threeStepsOnTwoRowsWithTiedEmbeddingsAndResetPositionsEqualCpu() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        LlamaConfig c = new LlamaConfig(59, 24, 37, 3, 3, 1, 8, 128, 5e5, 1e-6f, true, 1, 2);
        List<PackedRow> rows = new ArrayList<>();
        rows.add(RowBuilder.pack(33, 0, true, doc(r, 59, 11), doc(r, 59, 22)));
        rows.add(RowBuilder.pack(33, 0, false, doc(r, 59, 7), doc(r, 59, 10), doc(r, 59, 12)));
        TrainStep.Options opt = new TrainStep.Options(16, 16, 33, 64, false, RopeStyle.ROTATE_HALF);
        double[] norms = compare(c, rows, opt, 1e6, r.nextLong());
        assertTrue(Arrays.stream(norms).allMatch(x -> x < 1e6), "no clipping in this case");
    }
}
