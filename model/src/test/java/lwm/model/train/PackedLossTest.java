package lwm.model.train;

import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Masked packing: a packed row trains exactly like its documents on separate padded rows. */
class PackedLossTest {

    static Trainer trainer(TrainableLlama m, LossWeighting w) {
        return new Trainer(m, new ScalarKernels(), new LocalAttention(new ScalarKernels()), GradientSync.SINGLE, TokenPartition.WHOLE,
                new TrainStep.Options(8, 8, 16, 16, false, RopeStyle.ROTATE_HALF), w, AdamW.lwm(m.params(), 0));
    }

    @Test void packedRowLossEqualsTheMeanOfItsDocumentsLosses() {
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        TrainableLlama m = TrainableLlama.initialise(TorchParityTest.tinyConfig(false), r.nextLong(), 0.3);
        Document a = TorchParityTest.randomDoc(r, 61, 5, false);
        Document b = TorchParityTest.randomDoc(r, 61, 23, true);
        Document c = TorchParityTest.randomDoc(r, 61, 12, false);
        for (boolean reset : new boolean[] {false, true}) {
            Trainer t = trainer(m, LossWeighting.perExample());
            PackedRow packed = RowBuilder.pack(48, 0, reset, a, b, c);
            double packedLoss = t.lossAndGradients(List.of(packed));
            float[][] packedGrads = m.params().stream().map(p -> p.grad.clone()).toArray(float[][]::new);

            double sum = 0;
            float[][] meanGrads = new float[packedGrads.length][];
            for (int i = 0; i < meanGrads.length; i++) meanGrads[i] = new float[packedGrads[i].length];
            for (Document d : List.of(a, b, c)) {
                sum += t.lossAndGradients(List.of(RowBuilder.pack(48, 0, false, d)));
                for (int i = 0; i < meanGrads.length; i++)
                    for (int j = 0; j < meanGrads[i].length; j++) meanGrads[i][j] += m.params().get(i).grad[j] / 3f;
            }
            assertEquals(sum / 3, packedLoss, 1e-5 * sum, "reset positions " + reset);
            for (int i = 0; i < meanGrads.length; i++) {
                double max = 0, err = 0;
                for (int j = 0; j < meanGrads[i].length; j++) {
                    max = Math.max(max, Math.abs(meanGrads[i][j]));
                    err = Math.max(err, Math.abs(meanGrads[i][j] - packedGrads[i][j]));
                }
                assertTrue(err <= 1e-4 * max, m.params().get(i).name + ": packed gradient differs from the documents' mean by " + err);
            }
        }
    }

    @Test void batchLossWeighsEveryExampleEquallyAcrossRows() {
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        TrainableLlama m = TrainableLlama.initialise(TorchParityTest.tinyConfig(false), r.nextLong(), 0.3);
        Trainer t = trainer(m, LossWeighting.perExample());
        Document a = TorchParityTest.randomDoc(r, 61, 9, false), b = TorchParityTest.randomDoc(r, 61, 14, false),
                c = TorchParityTest.randomDoc(r, 61, 30, false);
        double la = t.loss(List.of(RowBuilder.pack(32, 0, false, a))), lb = t.loss(List.of(RowBuilder.pack(32, 0, false, b))),
                lc = t.loss(List.of(RowBuilder.pack(32, 0, false, c)));
        double batch = t.loss(List.of(RowBuilder.pack(32, 0, false, a, b), RowBuilder.pack(32, 0, false, c)));
        assertEquals((la + lb + lc) / 3, batch, 1e-5 * batch);
    }

    @Test void visionTextLossIsHalfOfEachModalityLoss() {
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        TrainableLlama m = TrainableLlama.initialise(TorchParityTest.tinyConfig(false), r.nextLong(), 0.3);
        int[] ids = TorchParityTest.randomDoc(r, 61, 20, false).ids();
        boolean[] vision = new boolean[20];
        for (int i = 8; i < 16; i++) vision[i] = true;
        float[] textOnly = new float[20], visionOnly = new float[20];
        for (int i = 1; i < 20; i++) { textOnly[i] = vision[i] ? 0 : 1; visionOnly[i] = vision[i] ? 1 : 0; }
        Trainer plain = trainer(m, LossWeighting.perExample());
        double text = plain.loss(List.of(RowBuilder.pack(24, 0, false, new Document(ids, textOnly, null))));
        double vis = plain.loss(List.of(RowBuilder.pack(24, 0, false, new Document(ids, visionOnly, null))));
        double both = trainer(m, LossWeighting.visionText()).loss(List.of(RowBuilder.pack(24, 0, false, new Document(ids, null, vision))));
        assertEquals(0.5 * (vis + text), both, 1e-5 * both);
    }
}
