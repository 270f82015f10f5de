package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import lwm.config.JvmFlags;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.PrintStream;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./lwm bench jmh [--include REGEX --size 1024 --threads N --python python3]}: runs the JMH benchmarks
 * of {@code lwm.bench.jmh} (forked JVMs with the project's JVM flags) and compares MatmulJmh's rate with
 * numpy's at the same size and thread count.
 */
public final class JmhWorkload implements Workload {
    public String name() { return "jmh"; }

    public String summary() { return "JMH benchmarks of lwm.bench.jmh (matmul, attention); matmul ratio vs numpy (--include --size)"; }

    public BenchResult run(Map<String, String> options, PrintStream out) throws Exception {
        BenchOptions o = new BenchOptions(options, Set.of("include", "size", "threads", "python"));
        String include = o.str("include", "lwm\\.bench\\.jmh\\..*");
        int size = o.positive("size", 1024);
        int threads = o.positive("threads", Runtime.getRuntime().availableProcessors());
        if (!"lwm.bench.jmh.MatmulJmh.matmul".matches(".*(" + include + ").*"))
            throw new IllegalArgumentException("--include '" + include + "' must select lwm.bench.jmh.MatmulJmh (its rate is the one compared with numpy)");
        double load0 = PythonPeer.loadAverage();
        Options opts = new OptionsBuilder()
                .include(include)
                .param("size", Integer.toString(size))
                .param("threads", Integer.toString(threads))
                .jvmArgsPrepend(JvmFlags.all().toArray(String[]::new))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        double matmulMs = Double.NaN;
        for (RunResult rr : results)
            if (rr.getParams().getBenchmark().endsWith("MatmulJmh.matmul")) matmulMs = rr.getPrimaryResult().getScore();
        if (Double.isNaN(matmulMs)) throw new IllegalStateException("JMH did not report MatmulJmh.matmul");
        JsonNode peer = PythonPeer.run(o.str("python", "python3"), "matmul_peer.py", threads, 1800, "" + size, "" + size, "" + size, "5");
        double flop = 2.0 * size * size * size;
        double java = flop / (matmulMs / 1e3) / 1e9, numpy = flop / peer.get("best_s").asDouble() / 1e9;
        out.printf("%nJMH MatmulJmh size %d, %d thread(s): %.1f GFLOP/s (average); numpy %s (%s) best of 5: %.1f GFLOP/s; ratio %.2f; load average %.2f -> %.2f%n",
                size, threads, java, peer.get("numpy").asText(), peer.get("blas").asText(), numpy, java / numpy, load0, PythonPeer.loadAverage());
        BenchResult r = new BenchResult("jmh", java, numpy, "GFLOP/s").with("size", size).with("threads", threads);
        for (RunResult rr : results)
            r.with(rr.getParams().getBenchmark().replace("lwm.bench.jmh.", "") + "_ms", rr.getPrimaryResult().getScore());
        return r.with("load_before", load0);
    }
}
