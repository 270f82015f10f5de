package lwm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmark run against a peer measured in the same run. Printed as the last line of every
 * {@code ./lwm bench} command: {@code {"workload", "java", "peer", "unit", "ratio", ...}}, where
 * ratio = java / peer and higher is better (for time-like units the workload reports rates).
 */
public record BenchResult(String workload, double java, double peer, String unit, Map<String, Object> extra) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public BenchResult(String workload, double java, double peer, String unit) {
        this(workload, java, peer, unit, new LinkedHashMap<>());
    }

    public double ratio() { return java / peer; }

    public BenchResult with(String key, Object value) {
        extra.put(key, value);
        return this;
    }

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("workload", workload);
        o.put("java", java);
        o.put("peer", peer);
        o.put("unit", unit);
        o.put("ratio", ratio());
        extra.forEach((k, v) -> o.set(k, JSON.valueToTree(v)));
        return o.toString();
    }
}
