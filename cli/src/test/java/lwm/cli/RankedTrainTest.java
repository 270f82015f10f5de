package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./lwm train --ranks N: the same plan on 4 MPJ rank JVMs (ring zigzag) gives the one-process loss curve. */
class RankedTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static double[] losses(Path metrics) throws Exception {
        List<String> lines = Files.readAllLines(metrics);
        double[] l = new double[lines.size()];
        for (int i = 0; i < l.length; i++) {
            JsonNode n = JSON.readTree(lines.get(i));
            l[i] = n.get("loss").asDouble();
        }
        return l;
    }

    @Test void fourRanksTrainLikeOne(@TempDir Path dir) throws Exception {
        Path one = Files.createDirectories(dir.resolve("one")), four = Files.createDirectories(dir.resolve("four"));
        Path p1 = TrainCommandTest.plan(one, ""), p4 = TrainCommandTest.plan(four, "");
        TrainCommandTest.Run single = TrainCommandTest.main("train", "--plan", p1.toString());
        assertEquals(0, single.code(), single.err());
        TrainCommandTest.Run ranked = TrainCommandTest.main("train", "--plan", p4.toString(), "--ranks", "4", "--layout", "zigzag");
        assertEquals(0, ranked.code(), ranked.out() + ranked.err());
        double[] a = losses(one.resolve("run/metrics.jsonl")), b = losses(four.resolve("run/metrics.jsonl"));
        assertEquals(3, a.length);
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(1, a[i]), "step " + (i + 1));
        assertTrue(Files.exists(four.resolve("run/stages/0-a/model.safetensors")));
    }

    /** Two data-parallel replicas (--sp 1): each trains on its row of the 2-row global batch; same curve as one process. */
    @Test void twoReplicasTrainLikeOne(@TempDir Path dir) throws Exception {
        Path one = Files.createDirectories(dir.resolve("one")), two = Files.createDirectories(dir.resolve("two"));
        Path p1 = TrainCommandTest.plan(one, ", \"batch_rows\": 2"), p2 = TrainCommandTest.plan(two, ", \"batch_rows\": 2");
        TrainCommandTest.Run single = TrainCommandTest.main("train", "--plan", p1.toString());
        assertEquals(0, single.code(), single.err());
        TrainCommandTest.Run ranked = TrainCommandTest.main("train", "--plan", p2.toString(), "--ranks", "2", "--sp", "1");
        assertEquals(0, ranked.code(), ranked.out() + ranked.err());
        assertTrue(ranked.out().contains("2 data-parallel replicas of 1 rows"), ranked.out());
        double[] a = losses(one.resolve("run/metrics.jsonl")), b = losses(two.resolve("run/metrics.jsonl"));
        assertEquals(3, a.length);
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(1, a[i]), "step " + (i + 1));
    }

    /**
     * Each rank on its own OpenCL device (--device opencl:0,0: PoCL has one device, so both entries name it; on a
     * multi-GPU machine opencl:0,1 puts one rank per GPU): the ring's loss curve equals one CPU process.
     */
    @Test void ranksOnOpenClDevicesTrainLikeOneCpuProcess(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        Path one = Files.createDirectories(dir.resolve("one")), two = Files.createDirectories(dir.resolve("two"));
        Path p1 = TrainCommandTest.plan(one, ""), p2 = TrainCommandTest.plan(two, "");
        TrainCommandTest.Run single = TrainCommandTest.main("train", "--plan", p1.toString(), "--device", "cpu");
        assertEquals(0, single.code(), single.err());
        TrainCommandTest.Run ranked = TrainCommandTest.main("train", "--plan", p2.toString(), "--ranks", "2", "--device", "opencl:0,0");
        assertEquals(0, ranked.code(), ranked.out() + ranked.err());
        assertTrue(ranked.out().contains("kernels opencl"), ranked.out());
        double[] a = losses(one.resolve("run/metrics.jsonl")), b = losses(two.resolve("run/metrics.jsonl"));
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(1, a[i]), "step " + (i + 1));
    }

    @Test void badRankCountsAndOrphanOptionsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path p = TrainCommandTest.plan(dir, "");
        assertEquals(2, TrainCommandTest.main("train", "--plan", p.toString(), "--ranks", "0").code());
        TrainCommandTest.Run r = TrainCommandTest.main("train", "--plan", p.toString(), "--sp", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--sp"), r.err());
    }
}
