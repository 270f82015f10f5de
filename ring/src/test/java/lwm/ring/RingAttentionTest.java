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
}
