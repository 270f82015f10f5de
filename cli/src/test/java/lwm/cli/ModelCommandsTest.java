package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** generate, logits and init through Main, against the tiny-lwm-f32 fixture. */
class ModelCommandsTest {
    static final Path FIX = Path.of(System.getProperty("lwm.root", "."), "..", "shared", "fixtures", "tiny-lwm-f32");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... argv) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream ob = new ByteArrayOutputStream(), eb = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(ob, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(eb, true, StandardCharsets.UTF_8));
            int code = Main.run(argv);
            return new Run(code, ob.toString(StandardCharsets.UTF_8), eb.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static String ids(JsonNode a) {
        List<String> s = new ArrayList<>();
        a.forEach(x -> s.add(x.asText()));
        return String.join(",", s);
    }

    @Test
    void logitsJsonMatchesTransformers() throws Exception {
        JsonNode ref = JSON.readTree(FIX.resolve("reference.json").toFile());
        for (JsonNode seq : ref.get("logits")) {
            if (seq.get("input_ids").size() > 100) continue; // the 301-token case is covered by the model tests
            Run r = run("logits", "--model", FIX.toString(), "--ids", ids(seq.get("input_ids")), "--json", "--prefill-chunk", "16");
            assertEquals(0, r.code(), r.err());
            JsonNode got = JSON.readTree(r.out());
            assertEquals(seq.get("argmax"), got.get("argmax"));
            double num = 0, den = 0;
            for (int i = 0; i < seq.get("last_logits").size(); i++) {
                double w = seq.get("last_logits").get(i).asDouble(), d = got.get("last_logits").get(i).asDouble() - w;
                num += d * d;
                den += w * w;
            }
            assertTrue(Math.sqrt(num / den) < 1e-4, "relative L2 " + Math.sqrt(num / den));
        }
    }

    @Test
    void generateJsonIsGreedyOutputOfTransformers() throws Exception {
        JsonNode g = JSON.readTree(FIX.resolve("reference.json").toFile()).get("greedy");
        int newTokens = g.get("output").size() - g.get("prompt").size();
        Run r = run("generate", "--model", FIX.toString(), "--ids", ids(g.get("prompt")), "--max-new-tokens", "" + newTokens,
                "--json", "--prefill-chunk", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode got = JSON.readTree(r.out());
        assertEquals(g.get("output"), got.get("output_ids"));
        assertTrue(got.get("text").isNull(), "no tokenizer in the fixture directory");
        assertTrue(got.get("tokens_per_second").asDouble() > 0);
        assertTrue(r.err().contains("tok/s"), "speeds go to stderr: " + r.err());
    }

    @Test
    void mistakesAreOneLineAndExitTwo() throws Exception {
        String[][] cases = {
                {"generate", "--model", FIX.toString()},
                {"generate", "--model", FIX.toString(), "--ids", "1,x,3"},
                {"generate", "--model", FIX.toString(), "--ids", "1,32000"},
                {"generate", "--model", FIX.toString(), "--prompt", "hello"},
                {"generate", "--model", tmp.resolve("none").toString(), "--ids", "1"},
                {"generate", "--model", FIX.toString(), "--ids", "1", "--temperature", "-1"},
                {"generate", "--model", FIX.toString(), "--ids", "1", "--bogus", "2"},
                {"logits", "--model", FIX.toString(), "--ids", "1,2", "--context", "1"},
                {"logits", "--model", FIX.toString(), "--ids", "1,2", "--kv-dtype", "int8"},
                {"init", "--config", "nope", "--out", tmp.resolve("x").toString()},
                {"init", "--config", "tiny", "--out", tmp.resolve("y").toString(), "--dtype", "f8"},
        };
        String[] expect = {"give exactly one of", "item 2 'x' is not an integer", "outside the vocabulary", "needs a tokenizer",
                "not a model directory", "--temperature", "unknown option --bogus", "smaller than", "--kv-dtype", "neither a preset", "--dtype"};
        for (int i = 0; i < cases.length; i++) {
            Run r = run(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]) + " -> " + r.err());
            String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.contains(expect[i]), String.join(" ", cases[i]) + " -> " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
    }

    @Test
    void brokenFilesAreOneLineErrors() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(FIX.resolve("config.json"), dir.resolve("config.json"));
        byte[] st = Files.readAllBytes(FIX.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(st, st.length / 2)); // truncated download
        Run r = run("generate", "--model", dir.toString(), "--ids", "1,2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("model.safetensors"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        Files.writeString(tmp.resolve("tokenizer.json"), "{not json");
        Run t = run("generate", "--model", FIX.toString(), "--tokenizer", tmp.resolve("tokenizer.json").toString(), "--prompt", "hi");
        assertEquals(2, t.code(), t.err());
        assertTrue(t.err().contains("tokenizer.json"), t.err());
        assertFalse(t.err().contains("\tat "), t.err());
    }

    @Test
    void memoryPlanRefusesAContextThatDoesNotFit() {
        Run r = run("generate", "--model", FIX.toString(), "--ids", "1,2", "--context", "2000000000");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("context 2000000000 needs") && r.err().contains("tokens fit"), r.err());
    }

    @Test
    void initWritesALoadableCheckpoint() throws Exception {
        Path out = tmp.resolve("tiny");
        Run r = run("init", "--config", "tiny", "--dtype", "f16", "--layers", "1", "--out", out.toString(), "--seed", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        Run g = run("generate", "--model", out.toString(), "--ids", "1,2,3", "--max-new-tokens", "3", "--json", "--temperature", "0.7", "--seed", "1");
        assertEquals(0, g.code(), g.err());
        assertEquals(6, JSON.readTree(g.out()).get("output_ids").size());
        assertTrue(g.err().contains("F16"), g.err());
        Run again = run("init", "--config", "tiny", "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("not an empty directory"), again.err());
    }
}
