package lwm.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates /work/shared/fixtures through ${lwm.root}/../shared/fixtures. */
final class Fixtures {
    private static Tokenizer spBpe;

    private Fixtures() {}

    /** The fixture tokenizer.json, loaded once per JVM (it is 1.8 MB of JSON). */
    static synchronized Tokenizer spBpeTokenizer() {
        if (spBpe == null) spBpe = Tokenizers.load(dir("tokenizer-sp-bpe").resolve("tokenizer.json"));
        return spBpe;
    }

    static Path dir(String name) {
        String root = System.getProperty("lwm.root");
        if (root == null) throw new IllegalStateException("system property lwm.root is not set (run through Maven)");
        Path p = Path.of(root).resolve("../shared/fixtures").resolve(name).normalize();
        if (!Files.isDirectory(p)) throw new IllegalStateException("fixture directory missing: " + p);
        return p;
    }
}
