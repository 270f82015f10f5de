package lwm.model.train;

import lwm.kernels.ScalarKernels;
import lwm.model.LlamaConfig;
import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole-model loss and every parameter gradient against PyTorch autograd on the same weights and packed batch. */
class TorchParityTest {

    static LlamaConfig tinyConfig(boolean tie) {
        // GQA (4 heads over 2 kv heads) and a large theta exercise the general paths
        return new LlamaConfig(61, 32, 40, 2, 4, 2, 8, 256, 5e7, 1e-6f, tie, 1, 2);
    }

    static Document randomDoc(SplittableRandom r, int vocab, int len, boolean prompt) {
        int[] ids = new int[len];
        ids[0] = 1;
        for (int i = 1; i < len; i++) ids[i] = 3 + r.nextInt(vocab - 3);
        float[] mask = null;
        if (prompt) { // the first half is a prompt: no loss there
            mask = new float[len];
            for (int i = len / 2; i < len; i++) mask[i] = 1f;
        }
        return new Document(ids, mask, null);
    }

    /** A document whose loss is on its last {@code answer} tokens only (QA fine-tuning, the demo). */
    static Document answerDoc(SplittableRandom r, int vocab, int len, int answer) {
        Document d = randomDoc(r, vocab, len, false);
        float[] mask = new float[len];
        for (int i = len - answer; i < len; i++) mask[i] = 1f;
        return new Document(d.ids(), mask, null);
    }

    static List<PackedRow> batch(SplittableRandom r, int vocab) {
        return List.of(
                RowBuilder.pack(40, 0, false, randomDoc(r, vocab, 7, false), randomDoc(r, vocab, 19, true), randomDoc(r, vocab, 11, false)),
                RowBuilder.pack(40, 0, true, randomDoc(r, vocab, 33, false)));
    }

    static void assertClose(String what, double[] ref, float[] got, double rel) {
        double max = 0, err = 0;
        for (int i = 0; i < ref.length; i++) { max = Math.max(max, Math.abs(ref[i])); err = Math.max(err, Math.abs(ref[i] - got[i])); }
        assertTrue(max > 0, what + ": reference gradient is all zero");
        assertTrue(err <= rel * max, what + ": max |java - torch| = " + err + " exceeds " + rel + " x max |torch| = " + max);
    }

    void check(boolean tie, boolean remat, lwm.kernels.Kernels k, Path dir) throws Exception { check(tie, remat, k, dir, false, true); }

    /** {@code answerOnly}: loss on a few tokens per document, so the last layer runs on those rows alone. */
    void check(boolean tie, boolean remat, lwm.kernels.Kernels k, Path dir, boolean answerOnly, boolean lastLayerOnScoredRows) throws Exception {
        LlamaConfig c = tinyConfig(tie);
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        TrainableLlama m = TrainableLlama.initialise(c, r.nextLong(), 0.3);
        for (TrainableLlama.Layer l : m.layers) // gains away from 1 so that their gradients matter
            for (Param p : List.of(l.attnNorm(), l.mlpNorm())) for (int i = 0; i < p.size(); i++) p.data[i] = (float) (0.5 + r.nextDouble());
        int v = c.vocabSize();
        List<PackedRow> rows = answerOnly
                ? List.of(RowBuilder.pack(40, 0, false, answerDoc(r, v, 17, 3), answerDoc(r, v, 21, 1)),
                          RowBuilder.pack(40, 0, true, answerDoc(r, v, 30, 8)))
                : batch(r, v);
        // small blocks and chunks so that every blockwise path runs several times
        TrainStep.Options opt = new TrainStep.Options(8, 16, 12, 10, remat, lwm.kernels.RopeStyle.ROTATE_HALF, lastLayerOnScoredRows);
        Trainer t = new Trainer(m, k, new LocalAttention(k), GradientSync.SINGLE,
                TokenPartition.WHOLE, opt, LossWeighting.perExample(), AdamW.lwm(m.params(), 0.1));
        double loss = t.lossAndGradients(rows);
        TorchReference.Result ref = TorchReference.run(m, rows, dir);
        assertEquals(ref.loss(), loss, 1e-4 * Math.abs(ref.loss()), "loss");
        assertEquals(ref.grads().keySet(), m.byName().keySet());
        for (Param p : m.params()) assertClose(p.name, ref.grads().get(p.name), p.grad, 1e-4);
    }

    @Test void lossAndGradientsEqualTorch(@TempDir Path dir) throws Exception { check(false, false, new ScalarKernels(), dir); }

    @Test void rematAndTiedEmbeddingsEqualTorch(@TempDir Path dir) throws Exception { check(true, true, new ScalarKernels(), dir); }

    @Test void answerOnlyLossEqualsTorch(@TempDir Path dir) throws Exception { check(false, false, new lwm.kernels.VectorKernels(), dir, true, true); }

    @Test void answerOnlyLossWithRematEqualsTorch(@TempDir Path dir) throws Exception { check(true, true, new ScalarKernels(), dir, true, true); }

    /** The full last layer (what the device trainer computes) on the same sparse loss. */
    @Test void answerOnlyLossOnEveryRowEqualsTorch(@TempDir Path dir) throws Exception { check(false, false, new ScalarKernels(), dir, true, false); }

    /** The production path: the Vector API kernels on all cores. */
    @Test void vectorKernelsEqualTorch(@TempDir Path dir) throws Exception { check(false, false, new lwm.kernels.VectorKernels(), dir); }
}
