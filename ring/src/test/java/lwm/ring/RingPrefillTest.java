package lwm.ring;

import lwm.kernels.ScalarKernels;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.RandomWeights;
import lwm.model.TensorSource;
import lwm.model.parallel.LocalAttention;
import lwm.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ring-distributed prefill gives the one-rank logits, for every layout and rank count. */
class RingPrefillTest {
    private static final long SEED = System.nanoTime();

    @Test
    void prefillLogitsOverRanksEqualOneRank() throws Exception {
        LlamaConfig c = new LlamaConfig(53, 32, 48, 2, 4, 2, 8, 512, 10000, 1e-5f, false, 1, 2);
        SplittableRandom rnd = new SplittableRandom(SEED);
        try (Arena arena = Arena.ofShared()) {
            LlamaWeights w = LlamaWeights.from(c, TensorSource.of(RandomWeights.create(c, DType.F32, SEED, arena)));
            LlamaModel model = new LlamaModel(w, new ScalarKernels());
            int s = 37;
            int[] ids = new int[s];
            for (int i = 0; i < s; i++) ids[i] = 3 + rnd.nextInt(50);
            int[] pos = new int[s];
            for (int i = 0; i < s; i++) pos[i] = i;
            float[] ref = model.forwardLocal(ids, pos, new LocalAttention(new ScalarKernels()), null, LlamaModel.Logits.ALL);
            float[] refLast = java.util.Arrays.copyOfRange(ref, (s - 1) * c.vocabSize(), s * c.vocabSize());
            for (int p : new int[]{2, 3, 4})
                for (SequenceLayout.Kind kind : SequenceLayout.Kind.values()) {
                    float[][] all = new float[p][], last = new float[p][];
                    RingPrefill.Scores[] scores = new RingPrefill.Scores[p];
                    LocalWorld.run(p, (world, a) -> {
                        SequenceLayout l = SequenceLayout.of(kind, world.rank(), p);
                        all[world.rank()] = RingPrefill.logits(model, world, l, ids, LlamaModel.Logits.ALL);
                        last[world.rank()] = RingPrefill.logits(model, world, l, ids, LlamaModel.Logits.LAST);
                        scores[world.rank()] = RingPrefill.argmaxAndLast(model, world, l, ids);
                    });
                    for (int r = 0; r < p; r++) {
                        double e = AttentionCase.relErr(all[r], ref), el = AttentionCase.relErr(last[r], refLast);
                        assertTrue(e <= 1e-5 && el <= 1e-5, "P=" + p + " " + kind + " rank " + r + ": relative error " + e + " / last " + el + " seed " + SEED);
                    }
                    assertArrayEquals(all[0], all[p - 1], "every rank gets the same logits");
                    assertArrayEquals(last[0], scores[p - 1].last());
                    for (int t = 0; t < s; t++) {   // argmax from the gathered logits (no near-ties in random weights at 1e-5)
                        int best = 0;
                        for (int v = 1; v < c.vocabSize(); v++) if (all[0][t * c.vocabSize() + v] > all[0][t * c.vocabSize() + best]) best = v;
                        assertEquals(best, scores[0].argmax()[t], "argmax at " + t);
                    }
                }
        }
    }
}
