package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import lwm.tensor.Tensor;

import java.lang.foreign.MemorySegment;

import static lwm.kernels.Widen.S;
import static lwm.kernels.Widen.V;

/**
 * y[rows, out] = x[rows, in] . W^T for a checkpoint weight W [out, in] in f32/bf16/f16.
 *
 * <p>Few rows (decode, small prefill chunks) are bound by reading W once: each worker streams its own
 * share of W's rows, four at a time with independent accumulators, widening in registers. Many rows
 * are compute bound and go through the packed {@link Gemm}, whose B-packing widens W tile by tile.
 */
final class LinearKernel {
    /** From this many rows the packed product wins over streaming dot products. */
    static final int GEMM_ROWS = 24;

    private LinearKernel() {}

    static void linear(Parallel par, float[] x, int xOff, Tensor w, float[] y, int yOff, int rows, int out, int in) {
        ScalarKernels.checkMatrix(w, out, in);
        int kind = Widen.kind(w);
        if (rows == 0 || out == 0) return;
        if (rows >= GEMM_ROWS || w.stride(1) != 1) {
            Gemm.multiply(par, new Gemm.AOperand(x, xOff, in, 1), new WeightB(w.segment(), w.offset(), w.stride(0), w.stride(1), kind),
                    y, yOff, rows, out, in, false);
            return;
        }
        MemorySegment seg = w.segment();
        long base = w.offset(), rs = w.stride(0);
        int quads = (out + 3) / 4;
        // ~ 4 rows of a 4096-wide layer per task keep the hand-off cost small against the stream
        par.forRange(quads, Math.max(1, 16384 / Math.max(1, in * rows)), (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                int o = q * 4;
                for (int r = 0; r < rows; r++) {
                    if (o + 4 <= out) dot4(x, xOff + r * in, seg, base + o * rs, rs, kind, in, y, yOff + r * out + o);
                    else for (int oo = o; oo < out; oo++) y[yOff + r * out + oo] = dot1(x, xOff + r * in, seg, base + oo * rs, kind, in);
                }
            }
        });
    }

    /** Four output features at once: four independent FMA chains hide the latency and share each x load. */
    private static void dot4(float[] x, int xo, MemorySegment seg, long w0, long rs, int kind, int in, float[] y, int yo) {
        // one loop per dtype (see Widen.load): each is a straight stream of loads and FMAs, vectors never leave registers
        switch (kind) {
            case Widen.KIND_BF16 -> dot4Bf16(x, xo, seg, w0, rs, in, y, yo);
            case Widen.KIND_F16 -> dot4F16(x, xo, seg, w0, rs, in, y, yo);
            default -> dot4F32(x, xo, seg, w0, rs, in, y, yo);
        }
    }

    private static void tails(float[] x, int xo, MemorySegment seg, long w0, long rs, int kind, int from, int in, float[] y, int yo) {
        for (int q = 0; q < 4; q++) {
            float s = y[yo + q];
            for (int i = from; i < in; i++) s = Math.fma(x[xo + i], Widen.get(seg, w0 + q * rs + i, kind), s);
            y[yo + q] = s;
        }
    }

    private static void dot4Bf16(float[] x, int xo, MemorySegment seg, long w0, long rs, int in, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        for (int i = 0; i < bound; i += V) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = Widen.loadBf16(seg, w0 + i).fma(xv, a0);
            a1 = Widen.loadBf16(seg, w0 + rs + i).fma(xv, a1);
            a2 = Widen.loadBf16(seg, w0 + 2 * rs + i).fma(xv, a2);
            a3 = Widen.loadBf16(seg, w0 + 3 * rs + i).fma(xv, a3);
        }
        y[yo] = Lanes.sum(a0);
        y[yo + 1] = Lanes.sum(a1);
        y[yo + 2] = Lanes.sum(a2);
        y[yo + 3] = Lanes.sum(a3);
        if (bound < in) tails(x, xo, seg, w0, rs, Widen.KIND_BF16, bound, in, y, yo);
    }

    private static void dot4F16(float[] x, int xo, MemorySegment seg, long w0, long rs, int in, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        for (int i = 0; i < bound; i += V) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = Widen.loadF16(seg, w0 + i).fma(xv, a0);
            a1 = Widen.loadF16(seg, w0 + rs + i).fma(xv, a1);
            a2 = Widen.loadF16(seg, w0 + 2 * rs + i).fma(xv, a2);
            a3 = Widen.loadF16(seg, w0 + 3 * rs + i).fma(xv, a3);
        }
        y[yo] = Lanes.sum(a0);
        y[yo + 1] = Lanes.sum(a1);
        y[yo + 2] = Lanes.sum(a2);
        y[yo + 3] = Lanes.sum(a3);
        if (bound < in) tails(x, xo, seg, w0, rs, Widen.KIND_F16, bound, in, y, yo);
    }

    private static void dot4F32(float[] x, int xo, MemorySegment seg, long w0, long rs, int in, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        for (int i = 0; i < bound; i += V) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = Widen.loadF32(seg, w0 + i).fma(xv, a0);
            a1 = Widen.loadF32(seg, w0 + rs + i).fma(xv, a1);
            a2 = Widen.loadF32(seg, w0 + 2 * rs + i).fma(xv, a2);
            a3 = Widen.loadF32(seg, w0 + 3 * rs + i).fma(xv, a3);
        }
        y[yo] = Lanes.sum(a0);
        y[yo + 1] = Lanes.sum(a1);
        y[yo + 2] = Lanes.sum(a2);
        y[yo + 3] = Lanes.sum(a3);
        if (bound < in) tails(x, xo, seg, w0, rs, Widen.KIND_F32, bound, in, y, yo);
    }

    private static float dot1(float[] x, int xo, MemorySegment seg, long w0, int kind, int in) {
        float s = 0;
        for (int i = 0; i < in; i++) s = Math.fma(x[xo + i], Widen.get(seg, w0 + i, kind), s);
        return s;
    }

    /** B = W^T for the packed product: element (p, j) is W[j, p]; each packed column is one widened row of W. */
    record WeightB(MemorySegment seg, long base, long rs, long cs, int kind) implements Gemm.BOperand {
        public void pack(float[] dst, int dOff, int p0, int kc, int j0, int nc) {
            int d = dOff, nr = Gemm.NR;
            float[] row = new float[kc];
            for (int jr = 0; jr < nc; jr += nr) {
                int cols = Math.min(nr, nc - jr);
                for (int c = 0; c < nr; c++) {
                    if (c < cols) {
                        Widen.row(seg, base + (long) (j0 + jr + c) * rs + (long) p0 * cs, cs, kc, kind, row, 0);
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = row[p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = 0f;
                    }
                }
                d += kc * nr;
            }
        }
    }
}
