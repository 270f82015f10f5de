package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import lwm.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * The element-wise and per-row kernels, vectorised along the row and parallel over rows. Each of them
 * is memory bound, so a loop reads and writes every value once where the math allows (softmax keeps
 * the exponentials it summed; cross-entropy sums exponentials in chunks and adds the chunk sums in
 * double so a 32k vocabulary loses no more than a short row).
 */
final class RowKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    /** Values per parallel chunk: below ~16k floats a hand-off costs more than the work. */
    static final int GRAIN = 16384;

    private RowKernels() {}

    static int rowGrain(int dim) { return Math.max(1, GRAIN / Math.max(1, dim)); }

    static float sumSquares(float[] x, int o, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + V <= n; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            acc = v.fma(v, acc);
        }
        float s = Lanes.sum(acc);
        for (; i < n; i++) s = Math.fma(x[o + i], x[o + i], s);
        return s;
    }

    static float sum(float[] x, int o, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + V <= n; i += V) acc = acc.add(FloatVector.fromArray(S, x, o + i));
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += x[o + i];
        return s;
    }

    static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + V <= n; i += V) acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        float s = Lanes.sum(acc);
        for (; i < n; i++) s = Math.fma(x[xo + i], y[yo + i], s);
        return s;
    }

    // ------------------------------------------------------------------------------ rmsNorm

    static void rmsNorm(Parallel par, float[] x, int xOff, Tensor w, float[] out, int outOff, int rows, int dim, float eps) {
        if (w.numel() != dim) throw new IllegalArgumentException("norm weight " + w + " is not [" + dim + "]");
        // the norm weight is one row of dim values: widen it once per call, not once per token
        float[] wf = new float[dim];
        Widen.row(w.segment(), w.offset(), w.rank() == 0 ? 1 : w.stride(w.rank() - 1), dim, Widen.kind(w), wf, 0);
        par.forRange(rows, rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = xOff + r * dim, oo = outOff + r * dim;
                float inv = (float) (1.0 / Math.sqrt((double) sumSquares(x, xo, dim) / dim + eps));
                int i = 0;
                for (; i + V <= dim; i += V)
                    FloatVector.fromArray(S, x, xo + i).mul(inv).mul(FloatVector.fromArray(S, wf, i)).intoArray(out, oo + i);
                for (; i < dim; i++) out[oo + i] = x[xo + i] * inv * wf[i];
            }
        });
    }

    static void rmsNormBackward(Parallel par, float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                                int rows, int dim, float eps) {
        float[] rinv = new float[rows];
        // dx_i = r w_i dy_i - r^3 x_i (sum_j dy_j w_j x_j) / dim, with r = (mean(x^2) + eps)^-1/2
        par.forRange(rows, rowGrain(dim), (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int xo = xOff + row * dim, go = dyOff + row * dim, dxo = dxOff + row * dim;
                float r = (float) (1.0 / Math.sqrt((double) sumSquares(x, xo, dim) / dim + eps));
                rinv[row] = r;
                FloatVector accv = FloatVector.zero(S);
                int i = 0;
                for (; i + V <= dim; i += V)
                    accv = FloatVector.fromArray(S, dy, go + i).mul(FloatVector.fromArray(S, w, i)).fma(FloatVector.fromArray(S, x, xo + i), accv);
                float dot = Lanes.sum(accv);
                for (; i < dim; i++) dot = Math.fma(dy[go + i] * w[i], x[xo + i], dot);
                float c = r * r * r * dot / dim;
                i = 0;
                for (; i + V <= dim; i += V) {
                    FloatVector g = FloatVector.fromArray(S, dy, go + i).mul(FloatVector.fromArray(S, w, i)).mul(r);
                    g.sub(FloatVector.fromArray(S, x, xo + i).mul(c)).intoArray(dx, dxo + i);
                }
                for (; i < dim; i++) dx[dxo + i] = dy[go + i] * w[i] * r - x[xo + i] * c;
            }
        });
        // dw_i += sum_rows dy_i x_i r: parallel over columns so each dw element has one writer
        int colChunks = (dim + V - 1) / V;
        par.forRange(colChunks, Math.max(1, GRAIN / Math.max(1, rows * V)), (c0, c1) -> {
            int from = c0 * V, to = Math.min(dim, c1 * V);
            for (int i = from; i < to; i += V) {
                if (i + V <= to) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int row = 0; row < rows; row++)
                        acc = FloatVector.fromArray(S, dy, dyOff + row * dim + i).mul(FloatVector.fromArray(S, x, xOff + row * dim + i))
                                .fma(FloatVector.broadcast(S, rinv[row]), acc);
                    acc.add(FloatVector.fromArray(S, dw, i)).intoArray(dw, i);
                } else {
                    for (int j = i; j < to; j++) {
                        float s = 0;
                        for (int row = 0; row < rows; row++) s = Math.fma(dy[dyOff + row * dim + j] * x[xOff + row * dim + j], rinv[row], s);
                        dw[j] += s;
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------ rope

    /** Lane permutation that swaps neighbours (0<->1, 2<->3, ...): the partner of each interleaved pair. */
    private static final VectorShuffle<Float> PAIR_SWAP = VectorShuffle.fromOp(S, i -> i ^ 1);

    static void rope(Parallel par, float[] x, int xOff, int tokens, int heads, int headDim, int[] positions, int posOff, double theta,
                     RopeStyle style, boolean inverse) {
        if ((headDim & 1) != 0) throw new IllegalArgumentException("rope needs an even head dimension, got " + headDim);
        int half = headDim / 2;
        double[] invFreq = new double[half];
        for (int i = 0; i < half; i++) invFreq[i] = ScalarKernels.ropeInvFreq(theta, i, headDim);
        par.forRange(tokens, rowGrain(heads * headDim), (t0, t1) -> {
            // per token: cos and sin of every frequency, laid out to match the pairing so the rotation is two FMAs
            float[] cos = new float[headDim], sin = new float[headDim];
            for (int t = t0; t < t1; t++) {
                int pos = positions[posOff + t];
                for (int i = 0; i < half; i++) {
                    double ang = pos * invFreq[i];
                    float c = (float) Math.cos(ang), sn = (float) (inverse ? -Math.sin(ang) : Math.sin(ang));
                    if (style == RopeStyle.ROTATE_HALF) { cos[i] = c; sin[i] = sn; }
                    else { cos[2 * i] = c; cos[2 * i + 1] = c; sin[2 * i] = -sn; sin[2 * i + 1] = sn; }
                }
                for (int h = 0; h < heads; h++) {
                    int base = xOff + (t * heads + h) * headDim;
                    if (style == RopeStyle.ROTATE_HALF) rotateHalf(x, base, half, cos, sin);
                    else interleaved(x, base, headDim, cos, sin);
                }
            }
        });
    }

    private static void rotateHalf(float[] x, int base, int half, float[] cos, float[] sin) {
        int i = 0;
        for (; i + V <= half; i += V) {
            FloatVector a = FloatVector.fromArray(S, x, base + i), b = FloatVector.fromArray(S, x, base + half + i);
            FloatVector c = FloatVector.fromArray(S, cos, i), s = FloatVector.fromArray(S, sin, i);
            a.mul(c).sub(b.mul(s)).intoArray(x, base + i);
            a.mul(s).add(b.mul(c)).intoArray(x, base + half + i);
        }
        for (; i < half; i++) {
            float a = x[base + i], b = x[base + half + i];
            x[base + i] = a * cos[i] - b * sin[i];
            x[base + half + i] = a * sin[i] + b * cos[i];
        }
    }

    /** (x0, x1) -> (x0 c - x1 s, x1 c + x0 s) as x * cos + swap(x) * sin with sin laid out (-s, s). */
    private static void interleaved(float[] x, int base, int headDim, float[] cos, float[] sin) {
        int i = 0;
        for (; i + V <= headDim; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, base + i);
            v.mul(FloatVector.fromArray(S, cos, i)).add(v.rearrange(PAIR_SWAP).mul(FloatVector.fromArray(S, sin, i))).intoArray(x, base + i);
        }
        for (; i < headDim; i += 2) {
            float a = x[base + i], b = x[base + i + 1];
            x[base + i] = a * cos[i] + b * sin[i];
            x[base + i + 1] = b * cos[i + 1] + a * sin[i + 1];
        }
    }

    // ------------------------------------------------------------------------------ softmax, swiglu

    static float max(float[] x, int o, int n) {
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + V <= n; j += V) mv = mv.max(FloatVector.fromArray(S, x, o + j));
        float m = mv.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) m = Math.max(m, x[o + j]);
        return m;
    }

    static void softmax(Parallel par, float[] x, int off, int rows, int cols) {
        par.forRange(rows, rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = off + r * cols;
                float m = max(x, o, cols);
                double sum = 0;
                int j = 0;
                for (; j + V <= cols; j += V) {
                    FloatVector e = Lanes.exp(FloatVector.fromArray(S, x, o + j).sub(m));
                    e.intoArray(x, o + j);
                    sum += Lanes.sum(e);
                }
                for (; j < cols; j++) { x[o + j] = Lanes.exp(x[o + j] - m); sum += x[o + j]; }
                float inv = (float) (1.0 / sum);
                j = 0;
                for (; j + V <= cols; j += V) FloatVector.fromArray(S, x, o + j).mul(inv).intoArray(x, o + j);
                for (; j < cols; j++) x[o + j] *= inv;
            }
        });
    }

    static void swiglu(Parallel par, float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        par.forRange(n, GRAIN, (a, b) -> {
            int i = a;
            for (; i + V <= b; i += V) {
                FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
                FloatVector sig = Lanes.exp(g.neg()).add(1f);
                g.div(sig).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(out, oOff + i);
            }
            // the tail repeats a lane's operations: chunk boundaries (which depend on the thread count) then cannot change a bit
            for (; i < b; i++) {
                float g = gate[gOff + i];
                out[oOff + i] = g / (Lanes.exp(-g) + 1f) * up[uOff + i];
            }
        });
    }

    static void swigluBackward(Parallel par, float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, float[] dUp, int n) {
        par.forRange(n, GRAIN, (a, b) -> {
            int i = a;
            for (; i + V <= b; i += V) {
                FloatVector g = FloatVector.fromArray(S, gate, gOff + i), d = FloatVector.fromArray(S, dOut, dOff + i);
                FloatVector s = FloatVector.broadcast(S, 1f).div(Lanes.exp(g.neg()).add(1f));
                FloatVector ds = d.mul(s);
                ds.mul(g).intoArray(dUp, i);
                // d * up * s * (1 + g (1 - s))
                FloatVector one = FloatVector.broadcast(S, 1f);
                ds.mul(FloatVector.fromArray(S, up, uOff + i)).mul(g.fma(one.sub(s), one)).intoArray(dGate, i);
            }
            for (; i < b; i++) {
                float g = gate[gOff + i], d = dOut[dOff + i], s = 1f / (Lanes.exp(-g) + 1f), ds = d * s;
                dUp[i] = ds * g;
                dGate[i] = ds * up[uOff + i] * Math.fma(g, 1f - s, 1f);
            }
        });
    }

    // ------------------------------------------------------------------------------ embedding, cross-entropy

    static void embedding(Parallel par, Tensor table, int[] ids, int idsOff, int count, float[] out, int outOff) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding table " + table + " is not [vocab, dim]");
        int vocab = (int) table.dim(0), dim = (int) table.dim(1);
        int kind = Widen.kind(table);
        for (int t = 0; t < count; t++) {
            int id = ids[idsOff + t];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " at position " + t + " outside vocabulary [0, " + vocab + ")");
        }
        MemorySegment seg = table.segment();
        long base = table.offset(), rs = table.stride(0), cs = table.stride(1);
        par.forRange(count, rowGrain(dim), (t0, t1) -> {
            for (int t = t0; t < t1; t++) Widen.row(seg, base + ids[idsOff + t] * rs, cs, dim, kind, out, outOff + t * dim);
        });
    }

    /** Values summed in f32 before the running total moves to double. */
    private static final int CHUNK = 1024;

    static void crossEntropy(Parallel par, float[] logits, int off, int rows, int vocab, int[] targets, int tOff, float[] nll, float[] lse,
                             float[] dlogits, float[] rowWeight) {
        for (int r = 0; r < rows; r++) {
            int t = targets[tOff + r];
            if (t >= vocab) throw new IllegalArgumentException("target id " + t + " at row " + r + " outside vocabulary [0, " + vocab + ")");
        }
        par.forRange(rows, rowGrain(vocab), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = off + r * vocab;
                float m = max(logits, o, vocab);
                double sum = 0;
                for (int c0 = 0; c0 < vocab; c0 += CHUNK) {
                    int c1 = Math.min(vocab, c0 + CHUNK), j = c0;
                    FloatVector acc = FloatVector.zero(S);
                    for (; j + V <= c1; j += V) acc = acc.add(Lanes.exp(FloatVector.fromArray(S, logits, o + j).sub(m)));
                    float part = Lanes.sum(acc);
                    for (; j < c1; j++) part += Lanes.exp(logits[o + j] - m);
                    sum += part;
                }
                double l = m + Math.log(sum);
                lse[r] = (float) l;
                int t = targets[tOff + r];
                nll[r] = t < 0 ? 0f : (float) (l - logits[o + t]);
                if (dlogits != null) {
                    float w = t < 0 ? 0f : rowWeight[r], lf = (float) l;
                    int d = r * vocab, j = 0;
                    for (; j + V <= vocab; j += V)
                        Lanes.exp(FloatVector.fromArray(S, logits, o + j).sub(lf)).mul(w).intoArray(dlogits, d + j);
                    for (; j < vocab; j++) dlogits[d + j] = Lanes.exp(logits[o + j] - lf) * w;
                    // w (p_t - 1) cancels when the model is confident (p_t ~ 1, and the f32 sum behind l cannot hold
                    // 1 + 3e-6 to 2 digits): use the exact identity 1 - p_t = sum of the other probabilities instead
                    if (t >= 0) {
                        dlogits[d + t] = 0f;
                        dlogits[d + t] = -sum(dlogits, d, vocab);
                    }
                }
            }
        });
    }
}
