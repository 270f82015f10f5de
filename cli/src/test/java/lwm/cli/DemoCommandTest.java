package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.VectorKernels;
import lwm.model.LlamaCheckpoint;
import lwm.model.niah.DemoTraining;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The shortened demo end to end (CI), and the ring run against the single-rank run. */
class DemoCommandTest {
    @TempDir Path tmp;

    static final Path FIXTURES = Path.of(System.getProperty("lwm.root", "."), "..", "shared", "fixtures").normalize();

    record Result(int code, String out, String err) {}

    static Result run(String... argv) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Result(Main.run(argv), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void quickDemoTrainsOnTwoRingRanksAndWritesTheReport() throws Exception {
        Path out = tmp.resolve("demo");
        Result r = run("demo", "--quick", "--ranks", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("stage 3/3: rows of 2048 tokens, RoPE theta 160000"), r.out());
        assertTrue(r.out().contains("tok/s") && r.out().contains("ETA"), "progress lines");
        assertTrue(r.out().contains("single-needle accuracy:"), r.out());
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(2, j.get("training").get("ranks").asInt());
        assertEquals(3, j.get("training").get("stages").size());
        assertEquals(160000.0, j.get("training").get("stages").get(2).get("rope_theta").asDouble());
        assertTrue(j.get("training").get("stages").get(0).get("final_loss").asDouble() < Math.log(128), "stage 1 learned something");
        assertEquals(2048, j.get("trained_max_length").asInt());
        assertEquals(3, j.get("training").get("needle_accuracy_after_each_stage").size());
        assertTrue(r.out().contains("after stage 3: needle accuracy"), r.out());
        JsonNode niah = j.get("niah");
        assertEquals(3, niah.get("context_lengths").size());
        assertEquals(3072, niah.get("context_lengths").get(2).asInt(), "the grid reaches beyond the trained length");
        double acc = j.get("accuracy_trained_lengths").asDouble();
        assertTrue(acc >= 0 && acc <= 1);
        assertEquals(acc >= 0.9, j.get("meets_target").asBoolean());
        for (String png : new String[] {"niah.png", "loss.png"}) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(img, png);
            assertTrue(img.getWidth() >= 300 && img.getHeight() >= 200, png);
        }
        try (LlamaCheckpoint ck = LlamaCheckpoint.load(out.resolve("model"))) {
            assertEquals(128, ck.config().vocabSize());
            assertEquals(2048, ck.config().maxPositions());
        }
        // the saved model runs through the niah command too
        Result n = run("niah", "--model", out.resolve("model").toString(), "--lengths", "400", "--depths", "2", "--trials", "1",
                "--out", tmp.resolve("n").toString());
        assertEquals(0, n.code(), n.err());
        assertTrue(n.out().contains("has no tokenizer; using character ids"), n.out());
    }

    @Test
    void ringTrainingMatchesSingleRank() throws Exception {
        var k = new VectorKernels();
        var plan = DemoCommand.quickPlan(7);
        PrintStream old = System.out;
        DemoTraining.Result one, four;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream()));
            one = DemoCommand.train(plan, k, 1);
            four = DemoCommand.train(plan, k, 4);
        } finally {
            System.setOut(old);
        }
        assertEquals(one.losses().size(), four.losses().size());
        for (int i = 0; i < one.losses().size(); i++)
            assertEquals(one.losses().get(i).loss(), four.losses().get(i).loss(), 2e-3 * Math.max(1, one.losses().get(i).loss()), "step " + i);
        var a = one.model().params();
        var b = four.model().params();
        for (int p = 0; p < a.size(); p++)
            for (int i = 0; i < a.get(p).data.length; i += 7)
                assertEquals(a.get(p).data[i], b.get(p).data[i], 2e-3, a.get(p).name + "[" + i + "]");
    }

    @Test
    void niahRunsOnTheTinyFixtureWithCharIdsAndWithATokenizer() throws Exception {
        Path model = FIXTURES.resolve("tiny-lwm-f32");
        Result c = run("niah", "--model", model.toString(), "--lengths", "300,600", "--depths", "2", "--trials", "1",
                "--out", tmp.resolve("c").toString());
        assertEquals(0, c.code(), c.err());
        JsonNode j = new ObjectMapper().readTree(tmp.resolve("c").resolve("report.json").toFile());
        assertEquals(2, j.get("niah").get("context_lengths").size());
        assertTrue(j.get("niah").get("mean_accuracy").asDouble() <= 0.5, "a random model does not retrieve 7-digit numbers");
        assertNotNull(ImageIO.read(tmp.resolve("c").resolve("niah.png").toFile()));

        Result t = run("niah", "--model", model.toString(), "--tokenizer", FIXTURES.resolve("tokenizer-sp-bpe/tokenizer.json").toString(),
                "--lengths", "200", "--depths", "2", "--trials", "1", "--needles", "3", "--ask", "2", "--out", tmp.resolve("t").toString());
        assertEquals(0, t.code(), t.err());
        JsonNode jt = new ObjectMapper().readTree(tmp.resolve("t").resolve("report.json").toFile());
        assertEquals(3, jt.get("niah").get("needles_inserted").asInt());
        assertTrue(jt.get("niah").get("samples").get(0).get("prompt_tokens").asInt() <= 200);
    }

    @Test
    void ringPrefillGivesTheSameNextTokenLogitsAsOneRank() throws Exception {
        try (var ck = lwm.model.LlamaCheckpoint.load(FIXTURES.resolve("tiny-lwm-f32"))) {
            var k = new VectorKernels();
            int[] ids = new int[301];
            var rnd = new java.util.SplittableRandom();
            for (int i = 0; i < ids.length; i++) ids[i] = 3 + rnd.nextInt(31000);
            var one = new lwm.model.LlamaModel(ck.weights(), k);
            var ref = one.forward(ids, java.util.stream.IntStream.range(0, ids.length).toArray(), one.newCache(ids.length, lwm.model.KvCache.Storage.F32),
                    lwm.model.LlamaModel.Logits.LAST);
            for (int ranks : new int[] {2, 3, 4}) {
                var cache = new RingResponder(ck.weights(), k, new lwm.model.niah.CharCodec(), ranks).prefill(java.util.Arrays.copyOf(ids, 300), 1);
                assertEquals(300, cache.length());
                var got = one.forward(new int[] {ids[300]}, new int[] {300}, cache, lwm.model.LlamaModel.Logits.LAST);
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-4, ranks + " ranks, logit " + i);
            }
        }
        Result r = run("niah", "--model", FIXTURES.resolve("tiny-lwm-f32").toString(), "--lengths", "300", "--depths", "1", "--trials", "1",
                "--ranks", "4", "--out", tmp.resolve("ring").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("through a ring of 4 ranks"), r.out());
    }

    @Test
    void userMistakesAreOneLineErrors() {
        Result r = run("niah", "--model", tmp.resolve("missing").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not a model directory"), r.err());
        Result bad = run("niah", "--model", FIXTURES.resolve("tiny-lwm-f32").toString(), "--lengths", "1k");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--lengths"), bad.err());
        Result ranks = run("demo", "--quick", "--ranks", "3");
        assertEquals(2, ranks.code());
        assertTrue(ranks.err().contains("--ranks 3"), ranks.err());
        Result scale = run("demo", "--scale", "0");
        assertEquals(2, scale.code());
        assertTrue(scale.err().contains("--scale"), scale.err());
        assertEquals(4 * DemoCommand.defaultPlan(1, 1).stages().get(0).steps(), DemoCommand.defaultPlan(1, 4).stages().get(0).steps(),
                "--scale multiplies the steps");
        Result opt = run("demo", "--bogus");
        assertEquals(2, opt.code());
        assertTrue(opt.err().contains("unknown option --bogus"), opt.err());
    }
}
