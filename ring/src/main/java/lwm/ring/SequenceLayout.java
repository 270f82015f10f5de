package lwm.ring;

import lwm.model.parallel.TokenPartition;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which tokens of a row of S tokens rank r of P holds (RingAttention's sequence sharding).
 * <ul>
 *   <li>CONTIGUOUS: rank r holds [r*S/P, (r+1)*S/P) (floors, so any S works; blocks differ by at most 1).</li>
 *   <li>ZIGZAG: S cut into 2P chunks; rank r holds chunks r and 2P-1-r, which balances causal work
 *       (every rank gets one early and one late chunk).</li>
 *   <li>STRIPED: rank r holds tokens t with t mod P = r.</li>
 * </ul>
 * For the 2D (Ulysses x ring) grid the ring layout for the ring degree R is built first and then cut
 * into U contiguous pieces; the Ulysses all-to-all reassembles exactly the ring rank's tokens.
 * Masks are given by positions and segment ids, so every layout gives the same attention; the layout
 * only decides balance and which blocks can be skipped.
 */
public final class SequenceLayout implements TokenPartition {
    public enum Kind {
        CONTIGUOUS, ZIGZAG, STRIPED;

        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown layout '" + s + "' (contiguous, zigzag, striped)");
            }
        }
    }

    private final Kind kind;
    private final int rank, size, piece, pieces;

    private SequenceLayout(Kind kind, int rank, int size, int piece, int pieces) {
        if (size < 1 || rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " of " + size);
        if (pieces < 1 || piece < 0 || piece >= pieces) throw new IllegalArgumentException("piece " + piece + " of " + pieces);
        this.kind = kind;
        this.rank = rank;
        this.size = size;
        this.piece = piece;
        this.pieces = pieces;
    }

    public static SequenceLayout of(Kind kind, int rank, int size) { return new SequenceLayout(kind, rank, size, 0, 1); }

    public static SequenceLayout contiguous(int rank, int size) { return of(Kind.CONTIGUOUS, rank, size); }

    public static SequenceLayout zigzag(int rank, int size) { return of(Kind.ZIGZAG, rank, size); }

    public static SequenceLayout striped(int rank, int size) { return of(Kind.STRIPED, rank, size); }

    /** 2D grid: the ring layout of ring rank r among R, cut into U pieces, piece u (sequence-parallel rank u + r*U). */
    public static SequenceLayout twoD(Kind ringKind, int u, int ulysses, int r, int ring) {
        return new SequenceLayout(ringKind, r, ring, u, ulysses);
    }

    public Kind kind() { return kind; }

    @Override
    public int[] localTokens(int seqLen) {
        int[] ring = ringTokens(seqLen);
        int a = (int) ((long) ring.length * piece / pieces), b = (int) ((long) ring.length * (piece + 1) / pieces);
        return Arrays.copyOfRange(ring, a, b);
    }

    /**
     * Packed row: every run of equal segment ids (one sequence) is split on its own, so each rank
     * holds its share of every sequence (the per-sequence zigzag of varlen ring attention).
     */
    public int[] localTokens(int[] segmentIds) {
        int n = segmentIds.length;
        int[] out = new int[n];
        int k = 0;
        for (int a = 0; a < n; ) {
            int b = a + 1;
            while (b < n && segmentIds[b] == segmentIds[a]) b++;
            for (int t : localTokens(b - a)) out[k++] = a + t;
            a = b;
        }
        return Arrays.copyOf(out, k);
    }

    private int[] ringTokens(int s) {
        int p = size, r = rank;
        return switch (kind) {
            case CONTIGUOUS -> range(bound(s, r, p), bound(s, r + 1, p));
            case ZIGZAG -> concat(range(bound(s, r, 2 * p), bound(s, r + 1, 2 * p)),
                    range(bound(s, 2 * p - 1 - r, 2 * p), bound(s, 2 * p - r, 2 * p)));
            case STRIPED -> {
                int[] t = new int[r < s ? (s - r + p - 1) / p : 0];
                for (int i = 0; i < t.length; i++) t[i] = r + i * p;
                yield t;
            }
        };
    }

    private static int bound(int s, int k, int n) { return (int) ((long) s * k / n); }

    private static int[] range(int a, int b) {
        int[] t = new int[b - a];
        for (int i = 0; i < t.length; i++) t[i] = a + i;
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ---------------------------------------------------------------- helpers for sharding rows

    /** Rows idx of a row-major [S, width] array, in idx order. */
    public static float[] take(float[] global, int[] idx, int width) {
        float[] out = new float[idx.length * width];
        for (int i = 0; i < idx.length; i++) System.arraycopy(global, idx[i] * width, out, i * width, width);
        return out;
    }

    public static int[] take(int[] global, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = global[idx[i]];
        return out;
    }

    /** Inverse of take: writes local rows back to their global rows. */
    public static void put(float[] local, int[] idx, int width, float[] global) {
        for (int i = 0; i < idx.length; i++) System.arraycopy(local, i * width, global, idx[i] * width, width);
    }

    @Override public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + "(" + rank + "/" + size + (pieces > 1 ? ", piece " + piece + "/" + pieces : "") + ")";
    }
}
