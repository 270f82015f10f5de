package lwm.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named model shapes (spec §1.1, §1.3): the LWM-Text 7B family differs only in context length and RoPE
 * base. {@code tiny} is the shape of the test fixture. Any other name is read as a config.json path.
 */
public final class Presets {
    private Presets() {}

    public static Map<String, LlamaConfig> all() {
        Map<String, LlamaConfig> m = new LinkedHashMap<>();
        m.put("lwm-7b", lwm7b(1 << 20, 5e7));          // LWM-Text(-Chat)-1M
        m.put("lwm-7b-512k", lwm7b(1 << 19, 2.5e7));
        m.put("lwm-7b-256k", lwm7b(1 << 18, 1e7));
        m.put("lwm-7b-128k", lwm7b(1 << 17, 1e7));
        m.put("tiny", new LlamaConfig(32000, 32, 88, 2, 4, 4, 8, 4096, 5e7, 1e-6f, false, 1, 2));
        return m;
    }

    static LlamaConfig lwm7b(int context, double theta) {
        return new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, context, theta, 1e-6f, false, 1, 2);
    }

    /** A preset name or a config.json file. */
    public static LlamaConfig get(String nameOrFile) {
        LlamaConfig c = all().get(nameOrFile);
        if (c != null) return c;
        Path p = Path.of(nameOrFile);
        if (Files.isDirectory(p)) p = p.resolve("config.json");
        if (!Files.isRegularFile(p))
            throw new IllegalArgumentException("config '" + nameOrFile + "' is neither a preset (" + String.join(", ", all().keySet()) + ") nor a file");
        return LlamaConfig.read(p);
    }
}
