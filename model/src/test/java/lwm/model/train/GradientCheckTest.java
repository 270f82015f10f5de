package lwm.model.train;

import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.model.LlamaConfig;
import lwm.model.data.PackedRow;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer's hand-written backward against central finite differences of the loss, evaluated in
 * double around each perturbed weight (the scalar kernels accumulate in double). One parameter per
 * layer kind: embedding, RMSNorm gains, q/k (through RoPE and attention), v, o, the SwiGLU FFN, final
 * norm and lm_head with cross-entropy.
 */
class GradientCheckTest {

    @Test void everyLayerMatchesFiniteDifferences() {
        for (boolean remat : new boolean[] {false, true}) {
            LlamaConfig c = new LlamaConfig(23, 16, 24, 2, 4, 2, 4, 64, 10000, 1e-5f, false, 1, 2);
            SplittableRandom r = new SplittableRandom(System.nanoTime());
            TrainableLlama m = TrainableLlama.initialise(c, r.nextLong(), 0.3);
            for (Param p : m.params()) if (p.isVector()) for (int i = 0; i < p.size(); i++) p.data[i] = (float) (0.5 + r.nextDouble());
            int[] doc = new int[17];
            for (int i = 0; i < doc.length; i++) doc[i] = r.nextInt(c.vocabSize());
            List<PackedRow> rows = List.of(lwm.model.data.RowBuilder.pack(20, 0, false,
                    new lwm.model.data.Document(java.util.Arrays.copyOf(doc, 9)), new lwm.model.data.Document(java.util.Arrays.copyOfRange(doc, 9, 17))));
            Trainer t = new Trainer(m, new ScalarKernels(), new LocalAttention(new ScalarKernels()), GradientSync.SINGLE, TokenPartition.WHOLE,
                    new TrainStep.Options(4, 8, 6, 5, remat, RopeStyle.ROTATE_HALF), LossWeighting.perExample(), AdamW.lwm(m.params(), 0));
            t.lossAndGradients(rows);
            for (Param p : m.params()) {
                float[] analytic = p.grad.clone();
                double maxAbs = 0;
                for (float g : analytic) maxAbs = Math.max(maxAbs, Math.abs(g));
                for (int probe = 0; probe < 4; probe++) {
                    int i = probe == 0 ? argmax(analytic) : r.nextInt(p.size());
                    float orig = p.data[i];
                    // Richardson extrapolation of two central differences cancels the h^2 term
                    double h = 2e-3 * Math.max(1, Math.abs(orig));
                    double numeric = (4 * central(t, rows, p, i, h / 2) - central(t, rows, p, i, h)) / 3;
                    double err = Math.abs(numeric - analytic[i]);
                    assertTrue(err <= 2e-3 * maxAbs + 1e-5, p.name + "[" + i + "] remat=" + remat + ": analytic " + analytic[i]
                            + " vs finite difference " + numeric + " (largest gradient " + maxAbs + ")");
                }
            }
        }
    }

    private static double central(Trainer t, List<PackedRow> rows, Param p, int i, double h) {
        float orig = p.data[i];
        float plus = (float) (orig + h), minus = (float) (orig - h);
        p.data[i] = plus;
        double up = t.loss(rows);
        p.data[i] = minus;
        double down = t.loss(rows);
        p.data[i] = orig;
        return (up - down) / ((double) plus - minus); // the step actually taken in float
    }

    private static int argmax(float[] g) {
        int b = 0;
        for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[b])) b = i;
        return b;
    }
}
