package lwm.ring;

import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.model.LlamaConfig;
import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import lwm.model.train.AdamW;
import lwm.model.train.LossWeighting;
import lwm.model.train.TrainStep;
import lwm.model.train.TrainableLlama;
import lwm.model.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The train helper's Trainer over ranks (ring / Ulysses / 2D x data parallel) gives the one-rank loss curve. */
class DistributedTrainingTest {
    private static final long SEED = System.nanoTime();
    static final LlamaConfig TINY = new LlamaConfig(61, 32, 40, 2, 4, 2, 8, 256, 5e7, 1e-6f, false, 1, 2);
    static final TrainStep.Options OPT = new TrainStep.Options(8, 8, 16, 16, false, RopeStyle.ROTATE_HALF);
    static final int STEPS = 4;
    static final double LR = 3e-3;

    /** Two rows per step of packed random documents (lengths not divisible by the rank counts). */
    static List<List<PackedRow>> data(long seed) { return data(seed, false); }

    /**
     * {@code answerOnly}: loss on the last two tokens of each document only, so the last layer runs on a
     * few query rows and most ranks hold none of them.
     */
    static List<List<PackedRow>> data(long seed, boolean answerOnly) {
        SplittableRandom r = new SplittableRandom(seed);
        List<List<PackedRow>> steps = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            List<PackedRow> rows = new ArrayList<>();
            for (int b = 0; b < 2; b++)
                rows.add(RowBuilder.pack(45, 0, true, doc(r, 13 + r.nextInt(8), answerOnly), doc(r, 9 + r.nextInt(10), answerOnly)));
            steps.add(rows);
        }
        return steps;
    }

    static Document doc(SplittableRandom r, int len, boolean answerOnly) {
        int[] ids = new int[len];
        ids[0] = 1;
        for (int i = 1; i < len; i++) ids[i] = 3 + r.nextInt(58);
        if (!answerOnly) return new Document(ids);
        float[] mask = new float[len];
        mask[len - 1] = mask[len - 2] = 1f;
        return new Document(ids, mask, null);
    }

    static double[] singleRank(long seed, List<List<PackedRow>> data) {
        TrainableLlama m = TrainableLlama.initialise(TINY, seed, 0.3);
        Trainer t = new Trainer(m, new ScalarKernels(), new LocalAttention(new ScalarKernels()), GradientSync.SINGLE, TokenPartition.WHOLE,
                OPT, LossWeighting.perExample(), AdamW.lwm(m.params(), 0.01));
        double[] loss = new double[STEPS];
        for (int s = 0; s < STEPS; s++) loss[s] = t.train(data.get(s), LR).loss();
        return loss;
    }

    /** Rank task body: sp-way sequence parallel, world/sp data-parallel replicas, each replica its share of rows. */
    static double[] distributed(Communicator world, long seed, List<List<PackedRow>> data, int sp, int ulysses, SequenceLayout.Kind kind) {
        ParallelGroups g = ParallelGroups.create(world, sp, ulysses, kind, new ScalarKernels());
        TrainableLlama m = TrainableLlama.initialise(TINY, seed, 0.3);
        Trainer t = new Trainer(m, new ScalarKernels(), g.attention(), g.gradients(), g.partition(), OPT, LossWeighting.perExample(),
                AdamW.lwm(m.params(), 0.01));
        double[] loss = new double[STEPS];
        for (int s = 0; s < STEPS; s++) {
            List<PackedRow> mine = new ArrayList<>();
            List<PackedRow> rows = data.get(s);
            for (int i = 0; i < rows.size(); i++) if (i % g.replicas() == g.replica()) mine.add(rows.get(i));
            loss[s] = t.train(mine, LR).loss();
        }
        return loss;
    }

    @Test
    void fourRanksGiveTheOneRankLossCurve() throws Exception { check(false); }

    /** Answer-only loss: the ring's last layer attends a few (on most ranks no) query rows to every key. */
    @Test
    void answerOnlyLossOverRanksGivesTheOneRankLossCurve() throws Exception { check(true); }

    void check(boolean answerOnly) throws Exception {
        long seed = SEED;
        List<List<PackedRow>> data = data(seed, answerOnly);
        double[] ref = singleRank(seed, data);
        int[][] grids = {{4, 1}, {4, 2}, {2, 1}, {4, 4}};   // {sp, ulysses}; sp 2 on 4 ranks = 2 replicas
        SequenceLayout.Kind[] kinds = {SequenceLayout.Kind.ZIGZAG, SequenceLayout.Kind.STRIPED, SequenceLayout.Kind.CONTIGUOUS, SequenceLayout.Kind.ZIGZAG};
        for (int gi = 0; gi < grids.length; gi++) {
            int sp = grids[gi][0], u = grids[gi][1];
            SequenceLayout.Kind kind = kinds[gi];
            double[][] got = new double[4][];
            LocalWorld.run(4, (w, a) -> got[w.rank()] = distributed(w, seed, data, sp, u, kind));
            for (int r = 0; r < 4; r++)
                for (int s = 0; s < STEPS; s++)
                    assertEquals(ref[s], got[r][s], 1e-4 * Math.max(1, Math.abs(ref[s])),
                            "sp=" + sp + " ulysses=" + u + " " + kind + " rank " + r + " step " + s + " seed " + seed);
        }
    }
}
