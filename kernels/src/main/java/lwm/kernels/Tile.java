package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense products on one worker, for the blocks of attention (a few dozen rows, head-sized
 * columns) where packing would cost more than it saves. X is addressed with two strides, so a
 * transposed left operand (P^T, dS^T in the attention backward) needs no copy.
 */
final class Tile {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    private Tile() {}

    /**
     * C[r, c] (+)= sum_t X[xOff + r*xRs + t*xCs] * Y[yOff + t*yRs + c] for r < rows, c < cols, t < inner;
     * C[r, c] lives at c[cOff + r*cRs + c].
     */
    static void mulAdd(float[] x, int xOff, int xRs, int xCs, float[] y, int yOff, int yRs,
                       float[] c, int cOff, int cRs, int rows, int inner, int cols, boolean accumulate) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int j = 0;
            for (; j + 2 * V <= cols; j += 2 * V)
                rows4x2(x, xOff + r * xRs, xRs, xCs, y, yOff + j, yRs, c, cOff + r * cRs + j, cRs, inner, accumulate);
            for (; j < cols; j += V)
                for (int rr = r; rr < r + 4; rr++)
                    row1(x, xOff + rr * xRs, xCs, y, yOff + j, yRs, c, cOff + rr * cRs + j, inner, cols - j, accumulate);
        }
        for (; r < rows; r++)
            for (int j = 0; j < cols; j += V)
                row1(x, xOff + r * xRs, xCs, y, yOff + j, yRs, c, cOff + r * cRs + j, inner, cols - j, accumulate);
    }

    private static void rows4x2(float[] x, int xo, int xRs, int xCs, float[] y, int yo, int yRs,
                                float[] c, int co, int cRs, int inner, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int t = 0; t < inner; t++) {
            int yi = yo + t * yRs, xi = xo + t * xCs;
            FloatVector y0 = FloatVector.fromArray(S, y, yi), y1 = FloatVector.fromArray(S, y, yi + V);
            FloatVector a = FloatVector.broadcast(S, x[xi]);
            c00 = a.fma(y0, c00); c01 = a.fma(y1, c01);
            a = FloatVector.broadcast(S, x[xi + xRs]);
            c10 = a.fma(y0, c10); c11 = a.fma(y1, c11);
            a = FloatVector.broadcast(S, x[xi + 2 * xRs]);
            c20 = a.fma(y0, c20); c21 = a.fma(y1, c21);
            a = FloatVector.broadcast(S, x[xi + 3 * xRs]);
            c30 = a.fma(y0, c30); c31 = a.fma(y1, c31);
        }
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, co)); c01 = c01.add(FloatVector.fromArray(S, c, co + V));
            c10 = c10.add(FloatVector.fromArray(S, c, co + cRs)); c11 = c11.add(FloatVector.fromArray(S, c, co + cRs + V));
            c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * cRs)); c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * cRs + V));
            c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * cRs)); c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * cRs + V));
        }
        c00.intoArray(c, co); c01.intoArray(c, co + V);
        c10.intoArray(c, co + cRs); c11.intoArray(c, co + cRs + V);
        c20.intoArray(c, co + 2 * cRs); c21.intoArray(c, co + 2 * cRs + V);
        c30.intoArray(c, co + 3 * cRs); c31.intoArray(c, co + 3 * cRs + V);
    }

    /** One row, one vector of columns (masked when fewer than V remain). */
    private static void row1(float[] x, int xo, int xCs, float[] y, int yo, int yRs, float[] c, int co, int inner, int left,
                             boolean accumulate) {
        if (left >= V) {
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < inner; t++) acc = FloatVector.broadcast(S, x[xo + t * xCs]).fma(FloatVector.fromArray(S, y, yo + t * yRs), acc);
            if (accumulate) acc = acc.add(FloatVector.fromArray(S, c, co));
            acc.intoArray(c, co);
        } else {
            VectorMask<Float> m = S.indexInRange(0, left);
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < inner; t++)
                acc = FloatVector.broadcast(S, x[xo + t * xCs]).fma(FloatVector.fromArray(S, y, yo + t * yRs, m), acc);
            if (accumulate) acc = acc.add(FloatVector.fromArray(S, c, co, m));
            acc.intoArray(c, co, m);
        }
    }
}
