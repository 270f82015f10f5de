package lwm.ring;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceLayoutTest {

    @Test
    void everyLayoutIsAPermutationForAnyLength() {
        for (SequenceLayout.Kind kind : SequenceLayout.Kind.values())
            for (int p : new int[]{1, 2, 3, 4, 6, 8})
                for (int s = 0; s <= 3 * p * 2 + 3; s++) {
                    int[] seen = new int[s];
                    int min = Integer.MAX_VALUE, max = 0;
                    for (int r = 0; r < p; r++) {
                        int[] t = SequenceLayout.of(kind, r, p).localTokens(s);
                        min = Math.min(min, t.length);
                        max = Math.max(max, t.length);
                        for (int x : t) seen[x]++;
                    }
                    for (int x = 0; x < s; x++) assertEquals(1, seen[x], kind + " P=" + p + " S=" + s + " token " + x);
                    assertTrue(max - min <= 2, kind + " P=" + p + " S=" + s + " unbalanced: " + min + ".." + max);
                }
    }

    @Test
    void zigzagHoldsChunkRAndChunk2PMinus1MinusR() {
        // P=4, S=16: chunks of 2; rank 1 holds chunks 1 and 6
        assertArrayEquals(new int[]{2, 3, 12, 13}, SequenceLayout.zigzag(1, 4).localTokens(16));
        assertArrayEquals(new int[]{6, 7, 8, 9}, SequenceLayout.zigzag(3, 4).localTokens(16));
        assertArrayEquals(new int[]{1, 5, 9}, SequenceLayout.striped(1, 4).localTokens(11));
        assertArrayEquals(new int[]{3, 4, 5}, SequenceLayout.contiguous(1, 3).localTokens(10));
    }

    @Test
    void packedRowsAreSplitPerSequence() {
        int[] seg = {5, 5, 5, 5, 9, 9, 9, 9, 9, 9, 9, 9};
        // each sequence zigzagged over 2 ranks on its own: 4 tokens -> chunks of 1; 8 tokens -> chunks of 2
        assertArrayEquals(new int[]{0, 3, 4, 5, 10, 11}, SequenceLayout.zigzag(0, 2).localTokens(seg));
        assertArrayEquals(new int[]{1, 2, 6, 7, 8, 9}, SequenceLayout.zigzag(1, 2).localTokens(seg));
    }

    @Test
    void twoDPiecesOfARingRankReassembleItsRingShard() {
        for (SequenceLayout.Kind kind : SequenceLayout.Kind.values())
            for (int s : new int[]{24, 31}) {
                int u = 2, r = 3;
                for (int ring = 0; ring < r; ring++) {
                    int[] whole = SequenceLayout.of(kind, ring, r).localTokens(s);
                    int[] joined = new int[0];
                    for (int piece = 0; piece < u; piece++) {
                        int[] t = SequenceLayout.twoD(kind, piece, u, ring, r).localTokens(s);
                        int[] j = Arrays.copyOf(joined, joined.length + t.length);
                        System.arraycopy(t, 0, j, joined.length, t.length);
                        joined = j;
                    }
                    assertArrayEquals(whole, joined, kind + " S=" + s + " ring rank " + ring);
                }
            }
    }

    @Test
    void unknownLayoutNamesAreReported() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SequenceLayout.Kind.parse("spiral"));
        assertTrue(e.getMessage().contains("spiral"));
    }
}
