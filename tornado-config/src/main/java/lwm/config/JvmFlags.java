package lwm.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The JVM flags every launch needs (Vector API module, native access, GC, heap), read from the single
 * {@code tornado-config/jvm.properties}. Child JVMs (ring ranks, bench peers) are started with exactly
 * these flags so a rank never runs with a different configuration from the launcher.
 */
public final class JvmFlags {
    private static final Properties PROPS = load();

    private JvmFlags() {}

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = JvmFlags.class.getResourceAsStream("/lwm/config/jvm.properties")) {
            if (in == null) throw new IllegalStateException("lwm/config/jvm.properties missing from the classpath");
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Flags without the heap size, one element per token. */
    public static List<String> flags() {
        return split(PROPS.getProperty("lwm.jvm.flags", ""));
    }

    /** Heap flag; {@code LWM_HEAP} (for example {@code 16g}) overrides the default. */
    public static String heap() {
        String env = System.getenv("LWM_HEAP");
        return env != null && !env.isBlank() ? "-Xmx" + env.trim() : PROPS.getProperty("lwm.jvm.heap", "-Xmx4g");
    }

    /** Flags plus heap, ready to put on a child {@code java} command line. */
    public static List<String> all() {
        List<String> all = new ArrayList<>(flags());
        all.add(heap());
        return all;
    }

    private static List<String> split(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(t -> !t.isEmpty()).toList();
    }
}
