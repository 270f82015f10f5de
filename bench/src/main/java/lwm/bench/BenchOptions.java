package lwm.bench;

import java.util.Map;
import java.util.Set;

/** The {@code --key value} options of one workload: typed access and one-line errors naming the option. */
final class BenchOptions {
    private final Map<String, String> options;

    BenchOptions(Map<String, String> options, Set<String> known) {
        this.options = options;
        for (String k : options.keySet())
            if (!known.contains(k))
                throw new IllegalArgumentException("unknown option --" + k + " (known: --" + String.join(", --", new java.util.TreeSet<>(known)) + ")");
    }

    int positive(String key, int fallback) {
        String v = options.get(key);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--" + key + ": expected a positive integer, got '" + v + "'");
    }

    String str(String key, String fallback) {
        String v = options.get(key);
        return v == null ? fallback : v;
    }

    boolean bool(String key, boolean fallback) {
        String v = options.get(key);
        if (v == null) return fallback;
        return switch (v.trim().toLowerCase()) {
            case "true", "yes", "1", "" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("--" + key + ": expected true or false, got '" + v + "'");
        };
    }
}
