package lwm.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --key value} / {@code --flag} parser. Every option a command reads is recorded, and
 * {@link #finish()} rejects the ones nobody read, so a typo is an error rather than silently ignored.
 */
public final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final Set<String> used = new HashSet<>();

    public Args(String[] argv, int from) {
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String key = a.substring(2);
                String val = "true";
                int eq = key.indexOf('=');
                if (eq >= 0) { val = key.substring(eq + 1); key = key.substring(0, eq); }
                else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) val = argv[++i];
                values.put(key, val);
            } else positional.add(a);
        }
    }

    public boolean has(String key) { used.add(key); return values.containsKey(key); }

    public String str(String key, String def) { used.add(key); return values.getOrDefault(key, def); }

    public String required(String key) {
        String v = str(key, null);
        if (v == null) throw new UsageError("missing --" + key);
        return v;
    }

    public int integer(String key, int def) {
        String v = str(key, null);
        if (v == null) return def;
        try { return Integer.parseInt(v.replace("_", "")); }
        catch (NumberFormatException e) { throw new UsageError("--" + key + ": expected an integer, got '" + v + "'"); }
    }

    public long longValue(String key, long def) {
        String v = str(key, null);
        if (v == null) return def;
        try { return Long.parseLong(v.replace("_", "")); }
        catch (NumberFormatException e) { throw new UsageError("--" + key + ": expected an integer, got '" + v + "'"); }
    }

    public double real(String key, double def) {
        String v = str(key, null);
        if (v == null) return def;
        try { return Double.parseDouble(v); }
        catch (NumberFormatException e) { throw new UsageError("--" + key + ": expected a number, got '" + v + "'"); }
    }

    public boolean flag(String key) {
        String v = str(key, null);
        return v != null && !v.equals("false");
    }

    public List<String> positional() { return positional; }

    /** Every option given, in order (for commands that pass options through). */
    public java.util.Set<String> keys() { return values.keySet(); }

    /** Fails on any option the command did not read. */
    public void finish() {
        for (String k : values.keySet()) if (!used.contains(k)) throw new UsageError("unknown option --" + k);
    }
}
