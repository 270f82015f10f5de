package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matmul and attention workloads end to end on tiny shapes (Debian's python3 as the peer), and their option errors. */
class KernelBenchTest {
    static final String PY = "/usr/bin/python3";

    @Test
    void registered() {
        assertTrue(Workloads.all().get("matmul") instanceof MatmulBench);
        assertTrue(Workloads.all().get("attention") instanceof AttentionBench);
        assertTrue(Workloads.all().get("jmh") instanceof JmhWorkload);
    }

    @Test
    void matmulReportsBothSidesAndTheRatio() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BenchResult r = new MatmulBench().run(Map.of("m", "33", "n", "65", "k", "17", "reps", "2", "threads", "2", "python", PY),
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertEquals("matmul", j.get("workload").asText());
        assertTrue(j.get("java").asDouble() > 0 && j.get("peer").asDouble() > 0);
        assertEquals(j.get("java").asDouble() / j.get("peer").asDouble(), j.get("ratio").asDouble(), 1e-9);
        assertEquals(33, j.get("m").asInt());
        String table = buf.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("java VectorKernels") && table.contains("numpy"), table);
    }

    @Test
    void attentionReportsTorchAsThePeer() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BenchResult r = new AttentionBench().run(Map.of("seq", "64", "heads", "2", "dim", "16", "reps", "2", "block-q", "16", "block-k", "32",
                "python", PY, "torch-python", PY), new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertTrue(r.java() > 0 && r.peer() > 0);
        assertTrue(r.extra().get("peer_impl").toString().startsWith("torch"), r.extra().toString());
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("manual attention"));
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MatmulBench().run(Map.of("m", "-3"), System.out));
        assertEquals("--m: expected a positive integer, got '-3'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AttentionBench().run(Map.of("causal", "maybe"), System.out));
        assertEquals("--causal: expected true or false, got 'maybe'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatmulBench().run(Map.of("size", "3"), System.out));
        assertTrue(e.getMessage().startsWith("unknown option --size (known: --k, --m, --n"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new JmhWorkload().run(Map.of("include", "Attention"), System.out));
        assertTrue(e.getMessage().contains("must select lwm.bench.jmh.MatmulJmh"), e.getMessage());
    }
}
