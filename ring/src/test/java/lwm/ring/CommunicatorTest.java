package lwm.ring;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Collectives over in-process ranks; MpjRanksTest runs the same code over MPJ Express. */
class CommunicatorTest {
    private static final long SEED = System.nanoTime();

    @Test
    void allReduceSumsAndEveryRankGetsIdenticalBits() throws Exception {
        for (int p : new int[]{1, 2, 3, 5, 8})
            for (int len : new int[]{1, 7, 1000}) {
                float[][] data = new float[p][len];
                SplittableRandom rnd = new SplittableRandom(SEED + p * 31L + len);
                double[] expect = new double[len];
                for (int r = 0; r < p; r++)
                    for (int i = 0; i < len; i++) { data[r][i] = (float) rnd.nextGaussian(); expect[i] += data[r][i]; }
                LocalWorld.run(p, (w, a) -> w.allReduceSum(data[w.rank()], 0, len));
                for (int r = 0; r < p; r++) assertArrayEquals(data[0], data[r], "rank " + r + " differs from rank 0");
                for (int i = 0; i < len; i++) assertEquals(expect[i], data[0][i], 1e-5 * p, "element " + i);
            }
    }

    @Test
    void allToAllRoundTripIsExactAndSplitGroupsDoNotCrossTalk() throws Exception {
        int p = 6;
        LocalWorld.run(p, (w, args) -> {
            // two concurrent groups of 3 (even and odd ranks), each exchanging with the same tags
            Communicator g = w.split(w.rank() % 2, -w.rank());
            assertEquals(3, g.size());
            assertEquals(2 - w.rank() / 2, g.rank(), "key orders the group");
            int n = g.size();
            int[] cnt = new int[n], off = new int[n];
            for (int i = 0; i < n; i++) { cnt[i] = i + 1 + w.rank(); off[i] = i == 0 ? 0 : off[i - 1] + cnt[i - 1]; }
            float[] send = new float[off[n - 1] + cnt[n - 1]];
            for (int i = 0; i < send.length; i++) send[i] = w.rank() * 1000 + i;
            // everybody learns everybody's counts so receive sizes are exact
            int[] all = g.allGatherV(cnt, new int[]{n, n, n});
            int[] rc = new int[n], ro = new int[n];
            for (int i = 0; i < n; i++) { rc[i] = all[i * n + g.rank()]; ro[i] = i == 0 ? 0 : ro[i - 1] + rc[i - 1]; }
            float[] recv = new float[ro[n - 1] + rc[n - 1]];
            g.allToAllV(send, cnt, off, recv, rc, ro);
            float[] back = new float[send.length];
            g.allToAllV(recv, rc, ro, back, cnt, off);
            assertArrayEquals(send, back);
            for (int i = 0; i < n; i++) assertEquals(g.worldRank(i) * 1000 + offOf(all, n, i, g.rank()), recv[ro[i]], "first element from group rank " + i);
            assertEquals(w.rank() % 2 == 0 ? 0 + 2 + 4 : 1 + 3 + 5, g.allReduceSum(w.rank()));
        });
    }

    private static int offOf(int[] all, int n, int sender, int me) {
        int o = 0;
        for (int i = 0; i < me; i++) o += all[sender * n + i];
        return o;
    }

    @Test
    void aFailingRankStopsEveryOtherRankWithItsNumber() {
        long t0 = System.nanoTime();
        RankFailedException e = assertThrows(RankFailedException.class, () -> LocalWorld.run(4, (w, a) -> {
            if (w.rank() == 2) throw new IllegalStateException("boom");
            // the others block in a collective that rank 2 never joins
            w.allReduceSum(new float[10], 0, 10);
        }));
        assertEquals(2, e.failedRank());
        assertTrue(e.getMessage().contains("rank 2") && e.getMessage().contains("boom"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "must not wait for the deadline");
    }

    @Test
    void aSilentRankIsDeclaredFailedAtTheDeadline() {
        System.setProperty("lwm.ring.timeout", "1");
        try {
            RankFailedException e = assertThrows(RankFailedException.class, () -> LocalWorld.run(2, (w, a) -> {
                if (w.rank() == 0) w.irecv(new float[1], 0, 1, 1, 3).await();
            }));
            assertEquals(1, e.failedRank(), e.getMessage());
            assertTrue(e.getMessage().contains("no progress from rank 1"), e.getMessage());
        } finally {
            System.clearProperty("lwm.ring.timeout");
        }
    }

    @Test
    void userTagsOutsideTheirRangeAreRejected() throws Exception {
        LocalWorld.run(1, (w, a) -> {
            assertThrows(IllegalArgumentException.class, () -> w.isend(new float[1], 0, 1, 0, Communicator.MAX_USER_TAG));
            assertThrows(IllegalArgumentException.class, () -> w.irecv(new float[1], 0, 1, 0, -1));
        });
    }
}
