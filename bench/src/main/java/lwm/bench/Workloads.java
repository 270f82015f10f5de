package lwm.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of {@code ./lwm bench} workloads; each helper module adds one line. */
public final class Workloads {
    private Workloads() {}

    public static Map<String, Workload> all() {
        Map<String, Workload> m = new LinkedHashMap<>();
        for (Workload w : List.<Workload>of(
                new MatmulBench(),
                new AttentionBench(),
                new JmhWorkload(),
                new TrainWorkload(),
                new TokenizerWorkload(),
                new DecodeWorkload(),
                new RingBench(),
                new OpenClMatmulBench()
        )) m.put(w.name(), w);
        return m;
    }
}
