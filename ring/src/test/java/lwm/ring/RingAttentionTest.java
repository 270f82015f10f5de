package lwm.ring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ring attention on in-process ranks (the same Communicator and attention code as MPJ ranks) vs one rank. */
class RingAttentionTest {
    private static final long SEED = System.nanoTime();

    @Test
    void everyLayoutRankCountMaskAndGqaMatchesSingleRank() throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int[][] heads = {{4, 4}, {4, 2}, {4, 1}};
        int n = 0;
        for (int p : new int[]{1, 2, 3, 4, 8})
            for (SequenceLayout.Kind kind : SequenceLayout.Kind.values())
                for (boolean causal : new boolean[]{true, false})
                    for (boolean packed : new boolean[]{false, true}) {
                        int[] h = heads[n++ % 3];
                        // lengths not divisible by P nor by 2P
                        int s = 2 * p * (3 + rnd.nextInt(4)) + 1 + rnd.nextInt(Math.max(1, 2 * p - 1));
                        if (p > 1 && s % p == 0) s++;
                        AttentionCase c = new AttentionCase(rnd.nextLong(), s, h[0], h[1], 8, causal, packed);
                        LocalWorld.run(p, (world, args) ->
                                c.runShard(new RingAttention(world, AttentionCase.SCALAR), c.tokens(SequenceLayout.of(kind, world.rank(), world.size()))));
                        c.assertMatches(1e-5, "P=" + p + " " + kind + " " + c + " seed " + SEED);
                    }
    }

    @Test
    void oneRankIsTheKernelItself() throws Exception {
        AttentionCase c = new AttentionCase(SEED, 29, 2, 1, 8, true, false);
        LocalWorld.run(1, (world, args) -> c.runShard(new RingAttention(world, AttentionCase.SCALAR), c.tokens(SequenceLayout.contiguous(0, 1))));
        assertArrayEquals(c.out, c.gOut);
        assertArrayEquals(c.lse, c.gLse);
        assertArrayEquals(c.dq, c.gDq);
    }

    @Test
    void largeLogitsMergeWithoutOverflow() throws Exception {
        AttentionCase big = new AttentionCase(SEED + 1, 41, 2, 2, 8, true, false, 30f);
        LocalWorld.run(4, (world, args) -> big.runShard(new RingAttention(world, AttentionCase.SCALAR), big.tokens(SequenceLayout.zigzag(world.rank(), 4))));
        big.assertMatches(1e-5, "x30 logits");
    }

    @Test
    void zigzagSkipsExactlyTheFutureHalfOfEveryCausalBlock() throws Exception {
        // with a 4-rank zigzag ring no hop is skipped (every hop has half a block of work), while the
        // plain ring skips the j > r hops: P(P-1)/2 of P^2
        int p = 4, s = 64;
        long[] skipped = new long[2];
        for (int z = 0; z < 2; z++) {
            boolean zig = z == 1;
            AttentionCase c = new AttentionCase(SEED, s, 2, 2, 8, true, false);
            int zi = z;
            LocalWorld.run(p, (world, args) -> {
                RingAttention ra = new RingAttention(world, AttentionCase.SCALAR);
                c.runShard(ra, c.tokens(zig ? SequenceLayout.zigzag(world.rank(), p) : SequenceLayout.contiguous(world.rank(), p)));
                synchronized (skipped) { skipped[zi] += ra.stats().skippedHops(); }
            });
            c.assertMatches(1e-5, zig ? "zigzag" : "contiguous");
        }
        assertEquals(2L * p * (p - 1) / 2, skipped[0], "plain ring: forward and backward each skip P(P-1)/2 hops");
        assertEquals(0L, skipped[1], "zigzag: no hop is empty");
    }

    @Test
    void runsAreBitIdentical() throws Exception {
        float[][] first = null;
        for (int run = 0; run < 2; run++) {
            AttentionCase c = new AttentionCase(SEED + 7, 53, 4, 2, 8, true, true);
            LocalWorld.run(3, (world, args) -> c.runShard(new RingAttention(world, AttentionCase.SCALAR), c.tokens(SequenceLayout.zigzag(world.rank(), 3))));
            float[][] now = {c.gOut, c.gLse, c.gDq, c.gDk, c.gDv};
            if (first != null) for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "output " + i + " differs between runs");
            first = now;
        }
    }

    @Test
    void computeOnlyReplaysTheForwardHops() throws Exception {
        // with one rank the only hop is the rank's own block, so the replay must equal forward bit for bit
        AttentionCase c = new AttentionCase(SEED + 3, 31, 2, 2, 8, true, false);
        LocalWorld.run(1, (world, a) -> {
            int[] idx = c.tokens(SequenceLayout.contiguous(0, 1));
            float[] q = SequenceLayout.take(c.q, idx, 16), k = SequenceLayout.take(c.k, idx, 16), v = SequenceLayout.take(c.v, idx, 16);
            float[] o1 = AttentionCase.nan(31 * 16), l1 = AttentionCase.nan(62), o2 = AttentionCase.nan(31 * 16), l2 = AttentionCase.nan(62);
            RingAttention ra = new RingAttention(world, AttentionCase.SCALAR);
            ra.forward(c.args(q, k, v, o1, l1, 31, 31, idx, idx, null, null));
            ra.computeOnly(c.args(q, k, v, o2, l2, 31, 31, idx, idx, null, null), new int[][]{idx}, null);
            assertArrayEquals(o1, o2);
            assertArrayEquals(l1, l2);
        });
    }
}
