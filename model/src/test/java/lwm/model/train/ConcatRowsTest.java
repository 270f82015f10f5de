package lwm.model.train;

import lwm.kernels.RopeStyle;
import lwm.kernels.VectorKernels;
import lwm.model.LlamaConfig;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A batch of rows and the same rows side by side as one sequence give the same loss and gradients. */
class ConcatRowsTest {

    @Test
    void concatenatedRowsTrainLikeTheBatch() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        LlamaConfig c = TorchParityTest.tinyConfig(false);
        List<PackedRow> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) // padded rows, answer-only and full losses mixed, several segments each
            rows.add(RowBuilder.pack(37, 0, false, TorchParityTest.answerDoc(r, c.vocabSize(), 9 + r.nextInt(8), 2),
                    TorchParityTest.randomDoc(r, c.vocabSize(), 5 + r.nextInt(9), r.nextBoolean())));
        PackedRow joined = PackedRow.concat(rows);
        assertEquals(3 * 37, joined.length());
        assertEquals(rows.stream().mapToInt(PackedRow::documents).sum(), joined.documents(), "segments stay apart");

        float[][] batchGrads = grads(c, seed, rows), joinedGrads = grads(c, seed, List.of(joined));
        double batchLoss = batchGrads[batchGrads.length - 1][0], joinedLoss = joinedGrads[joinedGrads.length - 1][0];
        assertEquals(batchLoss, joinedLoss, 1e-5 * Math.abs(batchLoss), "loss, seed " + seed);
        for (int p = 0; p < batchGrads.length - 1; p++) {
            double max = 0, err = 0;
            for (int i = 0; i < batchGrads[p].length; i++) {
                max = Math.max(max, Math.abs(batchGrads[p][i]));
                err = Math.max(err, Math.abs(batchGrads[p][i] - joinedGrads[p][i]));
            }
            assertTrue(max > 0 && err <= 1e-5 * max, "parameter " + p + ": " + err + " vs max " + max + ", seed " + seed);
        }
    }

    /** Every parameter's gradient, then {loss}. */
    static float[][] grads(LlamaConfig c, long seed, List<PackedRow> batch) {
        TrainableLlama m = TrainableLlama.initialise(c, seed, 0.3);
        VectorKernels k = new VectorKernels();
        Trainer t = new Trainer(m, k, new LocalAttention(k), GradientSync.SINGLE, TokenPartition.WHOLE,
                new TrainStep.Options(8, 16, 12, 10, false, RopeStyle.ROTATE_HALF), LossWeighting.perExample(), AdamW.lwm(m.params(), 0));
        double loss = t.lossAndGradients(batch);
        float[][] out = new float[m.params().size() + 1][];
        for (int i = 0; i < m.params().size(); i++) out[i] = m.params().get(i).grad.clone();
        out[out.length - 1] = new float[] {(float) loss};
        return out;
    }
}
