package lwm.ring;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real rank JVMs over MPJ Express niodev, started by RankLauncher: results and failure handling. */
class MpjRanksTest {
    private static final long SEED = System.nanoTime();

    private record Run(RankLauncher.Result result, String output, double seconds) {}

    private static Run launch(int ranks, String task, String timeout, String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        RankLauncher l = new RankLauncher(ranks, task).args(args).output(out).heap("256m");
        if (timeout != null) l.systemProperty("lwm.ring.timeout", timeout);
        long t0 = System.nanoTime();
        RankLauncher.Result r = l.launch();
        return new Run(r, buf.toString(StandardCharsets.UTF_8), (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void ringUlyssesAndHybridAttentionOverMpjRanksMatchOneRank() throws Exception {
        String[][] cases = {
                {"4", "ring", "zigzag", "true", "true"},
                {"3", "ring", "contiguous", "false", "false"},
                {"4", "hybrid", "striped", "true", "false"},
        };
        for (String[] c : cases) {
            int p = Integer.parseInt(c[0]);
            Run run = launch(p, MpjAttentionCheck.class.getName(), null, Long.toString(SEED), Integer.toString(6 * p + 5), c[1], c[2], c[3], c[4]);
            assertTrue(run.result.ok(), String.join(" ", c) + ": " + run.result + "\n" + run.output);
            for (int r = 0; r < p; r++) assertTrue(run.output.contains("rank " + r + " ok"), "rank " + r + " did not report\n" + run.output);
        }
    }

    @Test
    void multicoreDeviceRunsTheSameCodeAndNamesAFailedRank() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        RankLauncher.Result ok = new RankLauncher(3, MpjAttentionCheck.class.getName()).multicore(true).heap("512m")
                .args(Long.toString(SEED), "31", "ring", "striped", "true", "true")
                .output(new PrintStream(buf, true, StandardCharsets.UTF_8)).launch();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(ok.ok(), ok + "\n" + out);
        for (int r = 0; r < 3; r++) assertTrue(out.contains("rank " + r + " ok"), out);
        buf.reset();
        RankLauncher.Result bad = new RankLauncher(3, MpjFailCheck.class.getName()).multicore(true).heap("512m").args("1", "throw")
                .output(new PrintStream(buf, true, StandardCharsets.UTF_8)).launch();
        assertEquals(1, bad.failedRank(), bad + "\n" + buf);
        assertTrue(bad.exitCode() != 0 && bad.message().contains("deliberate failure"), bad.message());
    }

    @Test
    void aRankThatThrowsStopsEveryRankNamingIt() throws Exception {
        Run run = launch(4, MpjFailCheck.class.getName(), null, "2", "throw");
        assertFailureNamed(run, 2, "deliberate failure");
    }

    @Test
    void aRankThatDiesStopsEveryRankNamingIt() throws Exception {
        Run run = launch(3, MpjFailCheck.class.getName(), null, "1", "halt");
        assertFailureNamed(run, 1, "died");
    }

    @Test
    void aRankThatHangsIsNamedWhenItsPeersDeadlinePasses() throws Exception {
        Run run = launch(3, MpjFailCheck.class.getName(), "4", "0", "hang");
        assertFailureNamed(run, 0, "stopped answering");
    }

    private static void assertFailureNamed(Run run, int rank, String why) {
        RankLauncher.Result r = run.result;
        assertEquals(rank, r.failedRank(), r + "\n" + run.output);
        assertTrue(r.message().contains(why), r.message());
        for (int code : r.rankExitCodes()) assertTrue(code != 0, "every rank must exit non-zero: " + java.util.Arrays.toString(r.rankExitCodes()));
        for (int i = 0; i < r.rankExitCodes().length; i++)
            if (i != rank) assertTrue(run.output.contains("[rank " + i + "] rank " + i + ": stopping because rank " + rank + " failed")
                    || run.output.contains("[rank " + i + "] rank " + i + " failed: lwm.ring.RankFailedException: no progress from rank " + rank),
                    "rank " + i + " must say that rank " + rank + " failed\n" + run.output);
        assertTrue(run.seconds < 60, "took " + run.seconds + " s");
        assertTrue(!run.output.contains("should not happen"), run.output);
    }
}
