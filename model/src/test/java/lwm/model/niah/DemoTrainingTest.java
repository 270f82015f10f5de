package lwm.model.niah;

import lwm.kernels.Kernels;
import lwm.kernels.VectorKernels;
import lwm.model.LlamaCheckpoint;
import lwm.model.LlamaModel;
import lwm.model.data.PackedRow;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A shortened demo: the digits' distribution is learned in a few dozen steps, then save, load, evaluate. */
class DemoTrainingTest {

    static DemoPlan tinyPlan(int steps0) {
        return new DemoPlan(32, 1, 2, 64, List.of(
                new DemoPlan.Stage(512, 1e4, steps0, 1, 1e-2),
                new DemoPlan.Stage(1024, 4e4, 2, 1, 5e-3),
                new DemoPlan.Stage(2048, 1.6e5, 1, 1, 5e-3)),
                NiahData.shortestExample(), 0.5, 0.5, 0f, false, 3, new int[] {512, 1024, 4096}, 3, 1);
    }

    @Test
    void rowsPackSeveralExamplesWithLossOnlyOnAnswers() {
        NiahData d = new NiahData(NiahData.shortestExample(), 0f, false, 5);
        PackedRow r = d.row(0, 0, 2048, NiahData.shortestExample());
        assertTrue(r.documents() >= 2, "several examples per row: " + r.documents());
        int lossTokens = 0;
        for (int t = 0; t < r.length(); t++) {
            if (r.lossMask()[t] == 0) continue;
            lossTokens++;
            int target = r.targets()[t];
            assertTrue((target >= '0' && target <= '9') || target == CharCodec.EOS, "loss only on digits and EOS: " + target);
        }
        assertEquals(8 * r.documents(), lossTokens);
        PackedRow mixed = d.row(0, 1, 2048, NiahData.shortestExample(), 0.8);
        assertTrue(mixed.documents() > r.documents(), "short examples without the chat prompt pack denser");
        PackedRow again = new NiahData(NiahData.shortestExample(), 0f, false, 5).row(0, 0, 2048, NiahData.shortestExample());
        assertArrayEquals(r.tokens(), again.tokens(), "rows are a function of seed and index (ranks agree)");
    }

    @Test
    void shortenedDemoLearnsTheAnswerFormatAndEvaluates(@TempDir Path dir) throws Exception {
        Kernels k = new VectorKernels();
        DemoPlan plan = tinyPlan(30);
        int[] stagesSeen = {0};
        DemoTraining.Result res = DemoTraining.train(plan, k, new LocalAttention(k), GradientSync.SINGLE, TokenPartition.WHOLE,
                new DemoTraining.Listener() {
                    @Override public void stage(int index, DemoPlan.Stage s, long parameters) { stagesSeen[0]++; }
                });
        assertEquals(3, stagesSeen[0]);
        assertEquals(33, res.losses().size());
        double first = res.losses().get(0).loss(), last = res.losses().get(29).loss();
        assertEquals(Math.log(128), first, 0.3, "untrained: uniform over the vocabulary");
        // answers are 7 random digits + EOS: knowing the format alone gives (7 ln 10)/8 = 2.01
        assertTrue(last < 3.0, "answer format learned in stage 1: loss " + last);
        assertEquals(2048, res.model().config().maxPositions());
        assertEquals(1.6e5, res.model().config().ropeTheta());

        Path model = dir.resolve("model");
        DemoTraining.save(res.model(), model);
        try (LlamaCheckpoint ck = LlamaCheckpoint.load(model)) {
            assertEquals(1.6e5, ck.config().ropeTheta());
            GreedyResponder g = new GreedyResponder(new LlamaModel(ck.weights(), k), new CharCodec(), 256);
            NiahGrid grid = new NiahGrid(new int[] {512, 1024}, NiahGrid.depthAxis(2), 1, 1, 1, 1);
            NiahReport r = new NiahEvaluator(new CharCodec(), false).run(grid, g, 10, (a, b, c, s, ok) -> {});
            for (NiahReport.Sample s : r.samples()) {
                assertTrue(s.response().length() <= 10);
                assertTrue(s.response().chars().allMatch(Character::isDigit), "trained to answer digits: '" + s.response() + "'");
            }
        }
    }
}
