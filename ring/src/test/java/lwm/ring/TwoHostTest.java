package lwm.ring;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two "hosts" as two network namespaces joined by a veth pair (10.231.x.1 and 10.231.x.2), two MPJ
 * ranks in each. The launcher runs in host A; ranks 2 and 3 are started through {@code ip netns exec}
 * into host B, exactly as {@code ssh hostB} would start them on a real second machine, so every ring
 * hop between rank 1 and 2 and between 3 and 0 crosses the veth link. Needs root (we create the
 * namespaces); skipped with a message otherwise.
 */
class TwoHostTest {
    private static final long SEED = System.nanoTime();

    private static int sh(List<String> out, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (out != null) out.add(text);
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void twoRanksOnEachOfTwoHostsTrainLikeOneRank() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "two-host test needs root to create network namespaces (ip netns); running as " + System.getProperty("user.name"));
        long id = ProcessHandle.current().pid() % 200 + 20;
        String a = "lwmA" + id, b = "lwmB" + id, va = "lwva" + id, vb = "lwvb" + id;
        String ipA = "10.231." + id + ".1", ipB = "10.231." + id + ".2";
        List<String> log = new ArrayList<>();
        try {
            int rc = sh(log, "ip", "netns", "add", a);
            Assumptions.assumeTrue(rc == 0, "cannot create network namespaces here: " + log);
            String[][] setup = {
                    {"ip", "netns", "add", b},
                    {"ip", "link", "add", va, "type", "veth", "peer", "name", vb},
                    {"ip", "link", "set", va, "netns", a},
                    {"ip", "link", "set", vb, "netns", b},
                    {"ip", "-n", a, "addr", "add", ipA + "/24", "dev", va},
                    {"ip", "-n", b, "addr", "add", ipB + "/24", "dev", vb},
                    {"ip", "-n", a, "link", "set", va, "up"},
                    {"ip", "-n", b, "link", "set", vb, "up"},
                    {"ip", "-n", a, "link", "set", "lo", "up"},
                    {"ip", "-n", b, "link", "set", "lo", "up"},
            };
            for (String[] c : setup) assertEquals(0, sh(log, c), String.join(" ", c) + ": " + log);

            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", a, javaBin));
            cmd.addAll(lwm.config.JvmFlags.flags());
            cmd.addAll(List.of("-Xmx256m", "-cp", RankLauncher.classpath(), RankLauncher.class.getName(),
                    "--ranks", "4", "--bind", ipA, "--prefix", "2-3=ip netns exec " + b,
                    MpjTrainCheck.class.getName(), Long.toString(SEED), "4", "1", "zigzag"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("LWM_RANK_HEAP", "256m");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(240, TimeUnit.SECONDS), "launcher did not finish\n" + out);
            assertEquals(0, p.exitValue(), out);
            for (int r = 0; r < 4; r++) {
                String host = r < 2 ? ipA : ipB;
                assertTrue(contains(out, r, host),
                        "rank " + r + " should have trained on host " + host + "\n" + out);
            }
        } finally {
            sh(null, "ip", "netns", "del", a);
            sh(null, "ip", "netns", "del", b);
        }
    }

    private static boolean contains(String out, int rank, String host) {
        return out.lines().anyMatch(l -> l.startsWith("[rank " + rank + "] rank " + rank + " ok train") && l.contains("host [" + host + "]"));
    }
}
