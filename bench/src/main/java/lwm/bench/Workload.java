package lwm.bench;

import java.io.PrintStream;
import java.util.Map;

/** One {@code ./lwm bench <name>} workload: prints a readable table to {@code out}, returns the JSON result. */
public interface Workload {
    String name();

    String summary();

    /** Options are the command's {@code --key value} pairs; unknown keys are the caller's concern. */
    BenchResult run(Map<String, String> options, PrintStream out) throws Exception;
}
