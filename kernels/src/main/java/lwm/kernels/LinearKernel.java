package lwm.kernels;

import jdk.incubator.vector.FloatVector;
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
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = Widen.load(seg, w0 + i, kind).fma(xv, a0);
            a1 = Widen.load(seg, w0 + rs + i, kind).fma(xv, a1);
            a2 = Widen.load(seg, w0 + 2 * rs + i, kind).fma(xv, a2);
            a3 = Widen.load(seg, w0 + 3 * rs + i, kind).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(jdk.incubator.vector.VectorOperators.ADD), s1 = a1.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        float s2 = a2.reduceLanes(jdk.incubator.vector.VectorOperators.ADD), s3 = a3.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < in; i++) {
            float xv = x[xo + i];
            s0 += xv * Widen.get(seg, w0 + i, kind);
            s1 += xv * Widen.get(seg, w0 + rs + i, kind);
            s2 += xv * Widen.get(seg, w0 + 2 * rs + i, kind);
            s3 += xv * Widen.get(seg, w0 + 3 * rs + i, kind);
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
    }

    private static float dot1(float[] x, int xo, MemorySegment seg, long w0, int kind, int in) {
        FloatVector a = FloatVector.zero(S);
        int bound = S.loopBound(in), i = 0;
        for (; i < bound; i += V) a = Widen.load(seg, w0 + i, kind).fma(FloatVector.fromArray(S, x, xo + i), a);
        float s = a.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < in; i++) s += x[xo + i] * Widen.get(seg, w0 + i, kind);
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
                        long src = base + (long) (j0 + jr + c) * rs + (long) p0 * cs;
                        if (cs == 1) widenRow(src, kc, row);
                        else for (int p = 0; p < kc; p++) row[p] = Widen.get(seg, src + p * cs, kind);
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = row[p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = 0f;
                    }
                }
                d += kc * nr;
            }
        }

        private void widenRow(long src, int n, float[] row) {
            int bound = S.loopBound(n), p = 0;
            for (; p < bound; p += V) Widen.load(seg, src + p, kind).intoArray(row, p);
            for (; p < n; p++) row[p] = Widen.get(seg, src + p, kind);
        }
    }
}
