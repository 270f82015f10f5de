package lwm.cli;

import lwm.bench.BenchResult;
import lwm.bench.Workload;
import lwm.bench.Workloads;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ./lwm bench <workload> [--key value ...]}: a table, then the JSON result as the last line. */
final class BenchCommand implements Command {
    public String name() { return "bench"; }
    public String summary() { return "benchmarks against a peer measured in the same run (./lwm bench --help)"; }

    public int run(Args args) throws Exception {
        Map<String, Workload> all = Workloads.all();
        List<String> pos = args.positional();
        if (pos.isEmpty() || args.has("help")) {
            System.out.println("usage: ./lwm bench <workload> [options]\n\nworkloads:");
            int width = all.keySet().stream().mapToInt(String::length).max().orElse(0);
            all.values().forEach(w -> System.out.printf("  %-" + width + "s  %s%n", w.name(), w.summary()));
            return pos.isEmpty() && !args.has("help") ? 2 : 0;
        }
        Workload w = all.get(pos.get(0));
        if (w == null) throw new UsageError("unknown workload '" + pos.get(0) + "' (known: " + String.join(", ", all.keySet()) + ")");
        Map<String, String> opts = new LinkedHashMap<>();
        for (String k : args.keys()) opts.put(k, args.str(k, null));
        BenchResult r = w.run(opts, System.out);
        System.out.println(r.toJson());
        return 0;
    }
}
