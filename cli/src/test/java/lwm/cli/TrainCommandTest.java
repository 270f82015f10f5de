package lwm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./lwm train and ./lwm data as a user meets them: exit codes, one-line errors, the files a run leaves. */
class TrainCommandTest {

    record Run(int code, String out, String err) {}

    static synchronized Run main(String... argv) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out));
        System.setErr(new PrintStream(err));
        try {
            return new Run(Main.run(argv), out.toString(), err.toString());
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static Path plan(Path dir, String stageExtra) throws Exception {
        StringBuilder docs = new StringBuilder();
        for (int d = 0; d < 20; d++) docs.append("{\"ids\": [1, ").append(3 + d % 7).append(", 5, 6, 7, ").append(3 + d % 5).append(", 9]}\n");
        Files.writeString(dir.resolve("docs.jsonl"), docs);
        Path p = dir.resolve("plan.json");
        Files.writeString(p, """
                {"output": "run",
                 "model": {"config": {"vocab_size": 12, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}},
                 "data": {"train": "docs.jsonl"},
                 "training": {"checkpoint_every": 2},
                 "stages": [{"name": "a", "seq_len": 32, "steps": 3, "lr": 1e-2 %s}]}""".formatted(stageExtra));
        return p;
    }

    @Test void trainsResumesAndLeavesMetricsPlotAndCheckpoints(@TempDir Path dir) throws Exception {
        Path p = plan(dir, "");
        Run r = main("train", "--plan", p.toString(), "--stop-after", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("[a 2/3] step 2/3  loss "), r.out());
        Run again = main("train", "--plan", p.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds a run (use --resume"), again.err());
        Run resumed = main("train", "--plan", p.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming at step 2"), resumed.out());
        assertEquals(3, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
        assertTrue(Files.exists(dir.resolve("run/loss.png")));
        assertTrue(Files.exists(dir.resolve("run/stages/0-a/model.safetensors")));
        assertTrue(Files.exists(dir.resolve("run/stages/0-a/config.json")));
        assertTrue(Files.exists(dir.resolve("run/checkpoints/step-0000003/optimizer.safetensors")));

        Run stats = main("data", "stats", "--input", dir.resolve("docs.jsonl").toString(), "--seq-len", "32", "--rows", "3");
        assertEquals(0, stats.code(), stats.err());
        assertTrue(stats.out().contains("20 documents"), stats.out());
    }

    static double[] losses(Path metrics) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        return Files.readAllLines(metrics).stream().filter(l -> !l.isBlank())
                .mapToDouble(l -> { try { return json.readTree(l).get("loss").asDouble(); } catch (Exception e) { throw new RuntimeException(e); } })
                .toArray();
    }

    @Test void deviceResidentOpenClTrainingFollowsTheCpuLossCurveAndResumes(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        Path cpuDir = Files.createDirectories(dir.resolve("cpu")), clDir = Files.createDirectories(dir.resolve("cl")),
                resDir = Files.createDirectories(dir.resolve("resumed"));
        Run cpu = main("train", "--plan", plan(cpuDir, "").toString(), "--device", "cpu");
        assertEquals(0, cpu.code(), cpu.err());
        Run cl = main("train", "--plan", plan(clDir, "").toString(), "--device", "opencl:0");
        assertEquals(0, cl.code(), cl.out() + cl.err());
        assertTrue(cl.out().contains("device-resident parameters"), cl.out());
        // interrupted after the step-2 checkpoint and resumed: parameters and AdamW moments go down and back up
        Path pr = plan(resDir, "");
        assertEquals(0, main("train", "--plan", pr.toString(), "--device", "opencl:0", "--stop-after", "2").code());
        Run resumed = main("train", "--plan", pr.toString(), "--device", "opencl:0", "--resume");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        double[] a = losses(cpuDir.resolve("run/metrics.jsonl"));
        assertEquals(3, a.length);
        for (Path other : new Path[] {clDir, resDir}) {
            double[] b = losses(other.resolve("run/metrics.jsonl"));
            assertEquals(a.length, b.length, other.toString());
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(1, a[i]), other + " step " + (i + 1));
        }
        assertTrue(Files.exists(clDir.resolve("run/stages/0-a/model.safetensors")));
    }

    @Test void userMistakesAreOneLineWithExitCode2(@TempDir Path dir) throws Exception {
        Run bad = main("train", "--plan", plan(dir, ", \"warmup\": -1").toString());
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("stages[0].warmup: must be at least 0"), bad.err());
        assertEquals(2, main("train").code());
        assertEquals(2, main("train", "--plan", "x.json", "--bogus", "1").code());
        Run noData = main("data", "stats", "--input", dir.resolve("none.jsonl").toString());
        assertEquals(2, noData.code());
        assertTrue(noData.err().contains("no such data file"), noData.err());
    }

    @Test void qaDataRunsTheInferenceEngineOverTheBookChunks(@TempDir Path dir) throws Exception {
        Path fixtures = Path.of(System.getProperty("lwm.root"), "..", "shared", "fixtures");
        Files.writeString(dir.resolve("book.txt"), "The ferry left Oslo at dawn and reached Kiel by nightfall. ".repeat(12));
        Run r = main("data", "qa", "--book", dir.resolve("book.txt").toString(), "--model", fixtures.resolve("tiny-lwm-f32").toString(),
                "--tokenizer", fixtures.resolve("tokenizer-sp-bpe/tokenizer.json").toString(), "--output", dir.resolve("qa.jsonl").toString(),
                "--chunk", "64", "--max-new", "4", "--limit", "2");
        assertEquals(0, r.code(), r.err());
        // a randomly initialised model writes no parsable pair: the command says so and keeps its replies
        assertTrue(r.out().contains("of 2 chunks gave a parsable QA pair"), r.out());
        assertEquals(2, Files.readAllLines(dir.resolve("qa.pairs.jsonl")).size());
        assertTrue(Files.exists(dir.resolve("qa.jsonl")));
        Run missing = main("data", "qa", "--book", dir.resolve("none.txt").toString(), "--model", "m", "--output", "o.jsonl");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such book file"), missing.err());
    }
}
