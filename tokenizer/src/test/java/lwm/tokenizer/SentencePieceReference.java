package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs train_sp.py (python3-sentencepiece) once per JVM and hands out its models and reference encodings. */
final class SentencePieceReference {
    private static Path dir;

    private SentencePieceReference() {}

    static synchronized Path dir() throws Exception {
        if (dir != null) return dir;
        Path out = Files.createTempDirectory("lwm-sp-");
        Path script = Path.of(SentencePieceReference.class.getResource("/train_sp.py").toURI());
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder(python, script.toString(), out.toString(), "7").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new IllegalStateException("train_sp.py timed out"); }
        if (p.exitValue() != 0) {
            try (var files = Files.walk(out)) { files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); }
        }
        if (p.exitValue() != 0) throw new IllegalStateException("train_sp.py failed (python3-sentencepiece installed? ./lwm test installs it):\n" + log);
        dir = out;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var files = Files.walk(out)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a leftover temp directory is harmless
            }
        }));
        return dir;
    }

    static JsonNode cases(String name) throws Exception {
        return new ObjectMapper().readTree(dir().resolve(name + ".json").toFile());
    }

    static Path model(String name) throws Exception { return dir().resolve(name + ".model"); }

    static int[] ints(JsonNode arr) {
        int[] r = new int[arr.size()];
        for (int i = 0; i < r.length; i++) r[i] = arr.get(i).asInt();
        return r;
    }

    static Path script() throws URISyntaxException, IOException {
        return Path.of(SentencePieceReference.class.getResource("/train_sp.py").toURI());
    }
}
