package lwm.ring;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ulysses and the 2D Ulysses x ring hybrid on in-process ranks vs one rank. */
class UlyssesAttentionTest {
    private static final long SEED = System.nanoTime();

    @Test
    void ulyssesMatchesSingleRankIncludingReplicatedKvHeads() throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int n = 0;
        for (int p : new int[]{1, 2, 4, 8})
            for (int h : new int[]{p, 2 * p})
                for (int hk : new int[]{h, Math.max(1, h / 4), 1}) {
                    if (h % hk != 0 || (hk % p != 0 && p % hk != 0)) continue;
                    boolean causal = n % 2 == 0, packed = n % 3 == 1;
                    SequenceLayout.Kind kind = SequenceLayout.Kind.values()[n++ % 3];
                    int s = 3 * p + 5 + rnd.nextInt(17);
                    AttentionCase c = new AttentionCase(rnd.nextLong(), s, h, hk, 4, causal, packed);
                    LocalWorld.run(p, (world, args) ->
                            c.runShard(new UlyssesAttention(world, AttentionCase.SCALAR), c.tokens(SequenceLayout.of(kind, world.rank(), world.size()))));
                    c.assertMatches(1e-5, "Ulysses P=" + p + " " + kind + " " + c + " seed " + SEED);
                }
    }

    @Test
    void hybridGridsMatchSingleRank() throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        int[][] grids = {{1, 4}, {4, 1}, {2, 2}, {2, 4}, {4, 2}, {2, 3}};
        int n = 0;
        for (int[] g : grids)
            for (SequenceLayout.Kind kind : SequenceLayout.Kind.values()) {
                int u = g[0], r = g[1], p = u * r;
                boolean causal = n % 4 != 3, packed = n % 3 == 2;
                int hk = (n++ % 2 == 0) ? 4 : 2;
                int s = 2 * p * 3 + 1 + rnd.nextInt(2 * p);
                AttentionCase c = new AttentionCase(rnd.nextLong(), s, 8, hk, 4, causal, packed);
                LocalWorld.run(p, (world, args) -> {
                    UlyssesAttention op = UlyssesAttention.hybrid(world, u, AttentionCase.SCALAR);
                    c.runShard(op, c.tokens(SequenceLayout.twoD(kind, world.rank() % u, u, world.rank() / u, r)));
                });
                c.assertMatches(1e-5, "2D U=" + u + " R=" + r + " " + kind + " " + c + " seed " + SEED);
            }
    }

    @Test
    void headCountsThatCannotBeSplitAreRejected() {
        AttentionCase c = new AttentionCase(SEED, 20, 6, 3, 4, true, false);
        Exception e = assertThrows(Exception.class, () -> LocalWorld.run(4, (world, args) ->
                c.runShard(new UlyssesAttention(world, AttentionCase.SCALAR), c.tokens(SequenceLayout.contiguous(world.rank(), 4)))));
        assertTrue(String.valueOf(e.getMessage()).contains("cannot be split"), e.getMessage());
    }
}
