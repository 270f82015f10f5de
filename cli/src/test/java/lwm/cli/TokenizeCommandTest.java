package lwm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizeCommandTest {
    @TempDir Path tmp;

    private static final String FIXTURE = Path.of(System.getProperty("lwm.root"), "..", "shared", "fixtures", "tokenizer-sp-bpe")
            .normalize().toString();

    private record Result(int code, String out, String err) {}

    private static Result run(String... argv) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(argv);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void encodesToJsonAndTable() {
        Result r = run("tokenize", "--model", FIXTURE, "--text", "Hello world", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"ids\":[1,22557,1526]}", r.out().strip());
        Result t = run("tokenize", "--tokenizer", FIXTURE + "/tokenizer.json", "--text", "Hello world", "--no-bos");
        assertEquals(0, t.code(), t.err());
        String[] lines = t.out().strip().split("\n");
        assertEquals("22557,1526", lines[0]);
        assertTrue(lines[1].matches(" *22557  ▁Hello"), lines[1]);
    }

    @Test
    void decodesAndEncodesFilesAndChat() throws Exception {
        Result d = run("tokenize", "--model", FIXTURE, "--decode", "1, 22557,1526,13", "--json");
        assertEquals(0, d.code(), d.err());
        assertEquals("{\"text\":\"Hello world\\n\"}", d.out().strip());
        Path f = tmp.resolve("book.txt");
        Files.writeString(f, "Once upon a time.\n日本語\n".repeat(50));
        Result e = run("tokenize", "--model", FIXTURE, "--file", f.toString(), "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("tokens/s"), e.err());
        Result c = run("tokenize", "--model", FIXTURE, "--text", "Hi", "--chat", "--json");
        assertTrue(c.out().startsWith("{\"ids\":[1,"), c.out());
    }

    @Test
    void userMistakesAreOneLineErrorsWithExitTwo() {
        for (String[] argv : new String[][] {
                {"tokenize", "--text", "x"},
                {"tokenize", "--model", FIXTURE},
                {"tokenize", "--model", FIXTURE, "--decode", "1,x"},
                {"tokenize", "--model", FIXTURE, "--decode", "99999999"},
                {"tokenize", "--model", tmp.toString(), "--text", "x"},
                {"tokenize", "--tokenizer", tmp.resolve("none.model").toString(), "--text", "x"},
                {"tokenize", "--model", FIXTURE, "--text", "x", "--bogus"}}) {
            Result r = run(argv);
            assertEquals(2, r.code(), String.join(" ", argv) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("lwm tokenize: "), r.err());
        }
    }

    @Test
    void importLlama2ReportsMissingOrBrokenInputInOneLine() throws Exception {
        Result r = run("tokenizer-import-llama2", "--js", tmp.resolve("none.js").toString(), "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("lwm tokenizer-import-llama2: ") && r.err().strip().lines().count() == 1, r.err());
        Path js = Files.writeString(tmp.resolve("bad.js"), "const vocab_base64 = \"!!\"\nconst merges_binary = \"\"\n");
        r = run("tokenizer-import-llama2", "--js", js.toString(), "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("bad.js") && r.err().strip().lines().count() == 1, r.err());
        assertFalse(Files.exists(tmp.resolve("tokenizer.json")));
    }
}
