package lwm.ring;

import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.AttentionArgs;
import lwm.kernels.ScalarKernels;
import lwm.model.parallel.AttentionOp;
import lwm.model.train.TrainRun;
import lwm.model.train.TrainingPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * TrainRun over 4 in-process ranks as 2 data-parallel replicas x 2-way ring: each replica trains on its
 * own half of the global batch (no duplicated work), the loss curve equals one process training on the
 * whole global batch, and an interrupted distributed run resumes to the same curve.
 */
class DataParallelTrainRunTest {
    private static final long SEED = System.nanoTime();
    private static final int STEPS = 4, ROWS = 2, LAYERS = 2;

    static Path plan(Path dir, long seed) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < 40; d++) {
            int len = 5 + r.nextInt(30);
            StringBuilder ids = new StringBuilder("[1");
            for (int i = 1; i < len; i++) ids.append(',').append(3 + r.nextInt(34));
            sb.append("{\"ids\": ").append(ids).append("]}\n");
        }
        Files.writeString(dir.resolve("docs.jsonl"), sb);
        Path p = dir.resolve("plan.json");
        Files.writeString(p, """
                {"output": "run",
                 "model": {"config": {"vocab_size": 37, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": %d,
                                      "num_attention_heads": 4, "num_key_value_heads": 2, "rope_theta": 10000}, "seed": %d, "init_std": 0.2},
                 "data": {"train": "docs.jsonl", "seed": %d},
                 "training": {"block_q": 8, "block_k": 8, "mlp_chunk": 16, "lm_chunk": 16, "checkpoint_every": 2},
                 "stages": [{"name": "a", "seq_len": 45, "steps": %d, "lr": 3e-3, "warmup": 1, "batch_rows": %d}]}
                """.formatted(LAYERS, seed % 1000, seed % 997, STEPS, ROWS));
        return p;
    }

    static List<Double> losses(Path metrics) throws Exception {
        List<Double> l = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) if (!line.isBlank()) l.add(new ObjectMapper().readTree(line).get("loss").asDouble());
        return l;
    }

    /** Counts forward attention calls: one per layer and row this rank trains on. */
    record Counting(AttentionOp inner, AtomicInteger calls) implements AttentionOp {
        @Override public void forward(AttentionArgs a) { calls.incrementAndGet(); inner.forward(a); }
        @Override public void backward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) { inner.backward(a, dOut, delta, dq, dk, dv); }
    }

    static void distributed(Path planFile, long stopAfter, boolean resume, AtomicInteger[] calls) throws Exception {
        TrainingPlan plan = TrainingPlan.read(planFile);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        LocalWorld.run(4, (w, a) -> {
            ParallelGroups g = ParallelGroups.create(w, 2, 1, SequenceLayout.Kind.ZIGZAG, new ScalarKernels());
            var par = new TrainRun.Parallelism(new Counting(g.attention(), calls[w.rank()]), g.gradients(), g.partition(), g.replica(), g.replicas());
            new TrainRun(plan, new ScalarKernels(), par, null, quiet).stopAfter(stopAfter).run(resume);
        });
    }

    @Test
    void twoReplicasOfTwoRanksTrainLikeOneProcessOnTheGlobalBatch(@TempDir Path dir) throws Exception {
        long seed = SEED;
        Path one = plan(dir.resolve("one"), seed), dp = plan(dir.resolve("dp"), seed), cut = plan(dir.resolve("cut"), seed);
        new TrainRun(TrainingPlan.read(one), new ScalarKernels(), TrainRun.Parallelism.single(new ScalarKernels()), null,
                new PrintStream(new ByteArrayOutputStream())).run(false);
        List<Double> ref = losses(dir.resolve("one/run/metrics.jsonl"));
        assertEquals(STEPS, ref.size());

        AtomicInteger[] calls = new AtomicInteger[4];
        for (int i = 0; i < 4; i++) calls[i] = new AtomicInteger();
        distributed(dp, Long.MAX_VALUE, false, calls);
        List<Double> got = losses(dir.resolve("dp/run/metrics.jsonl"));
        assertEquals(STEPS, got.size());
        for (int s = 0; s < STEPS; s++)
            assertEquals(ref.get(s), got.get(s), 1e-4 * Math.max(1, ref.get(s)), "step " + (s + 1) + " seed " + seed + ": " + ref + " vs " + got);
        // each rank ran its replica's one row per step, not the whole global batch
        for (int r = 0; r < 4; r++) assertEquals(STEPS * LAYERS * ROWS / 2, calls[r].get(), "attention calls of rank " + r);

        // interrupted after step 3 (checkpoint at 2) and resumed: the data position restores exactly
        AtomicInteger[] ignored = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        distributed(cut, 3, false, ignored);
        distributed(cut, Long.MAX_VALUE, true, ignored);
        List<Double> resumed = losses(dir.resolve("cut/run/metrics.jsonl"));
        assertEquals(got.size(), resumed.size());
        for (int s = 0; s < STEPS; s++)
            assertEquals(Double.doubleToLongBits(got.get(s)), Double.doubleToLongBits(resumed.get(s)), "resumed step " + (s + 1) + ": " + got + " vs " + resumed);
    }
}
