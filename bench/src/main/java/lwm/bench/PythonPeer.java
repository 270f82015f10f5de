package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a peer benchmark script (a resource next to this class) in a Python subprocess with the given
 * thread count pinned for every BLAS/OpenMP runtime, and returns the JSON object it prints last.
 */
final class PythonPeer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PythonPeer() {}

    static JsonNode run(String python, String script, int threads, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(python, script, threads, java.util.Map.of(), timeoutSeconds, args);
    }

    /**
     * As above with extra environment variables. OpenBLAS is asked to name the kernel it picked (OPENBLAS_VERBOSE=2);
     * that line, when present, is returned as field {@code openblas_core}.
     */
    static JsonNode run(String python, String script, int threads, java.util.Map<String, String> env, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        String source;
        try (InputStream in = PythonPeer.class.getResourceAsStream(script)) {
            if (in == null) throw new IllegalStateException("bench script " + script + " missing from the classpath");
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> cmd = new ArrayList<>(List.of(python, "-c", source));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String t = Integer.toString(threads);
        for (String v : new String[]{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"}) pb.environment().put(v, t);
        pb.environment().put("OPENBLAS_VERBOSE", "2");
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalArgumentException("peer interpreter '" + python + "' could not be started (" + e.getMessage() + "); pass --python PATH");
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("peer " + script + " ran longer than " + timeoutSeconds + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8).strip();
        String last = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
        if (p.exitValue() != 0 || !last.startsWith("{"))
            throw new IllegalArgumentException("peer " + script + " with '" + python + "' failed (exit " + p.exitValue() + "): "
                    + (last.isEmpty() ? "no output" : last));
        com.fasterxml.jackson.databind.node.ObjectNode result = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(last);
        text.lines().filter(l -> l.startsWith("Core: ")).findFirst().ifPresent(l -> result.put("openblas_core", l.substring(6).trim()));
        return result;
    }

    /** The 1-minute load average, recorded next to every figure because the machine is shared. */
    static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
