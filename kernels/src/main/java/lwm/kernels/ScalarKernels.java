package lwm.kernels;

import lwm.tensor.Tensor;

/**
 * The reference implementation of {@link Kernels}: single-threaded plain loops that read like the math,
 * accumulating in double where a reduction is long. Every other backend is tested against this class,
 * so clarity wins over speed here; the only concession to size is that attention is still blockwise
 * (the reference must also run the long sequences the tests use, without an S x S buffer).
 */
public final class ScalarKernels implements Kernels {

    @Override
    public String name() { return "scalar"; }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * n + j] : 0;
                for (int p = 0; p < k; p++) s += (double) a[aOff + i * k + p] * b[bOff + p * n + j];
                c[cOff + i * n + j] = (float) s;
            }
    }

    @Override
    public void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * n + j] : 0;
                for (int p = 0; p < k; p++) s += (double) a[aOff + i * k + p] * b[bOff + j * k + p];
                c[cOff + i * n + j] = (float) s;
            }
    }

    @Override
    public void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * n + j] : 0;
                for (int p = 0; p < k; p++) s += (double) a[aOff + p * m + i] * b[bOff + p * n + j];
                c[cOff + i * n + j] = (float) s;
            }
    }

    @Override
    public void batchedMatmul(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] c, int cOff, int cStride,
                              int batch, int m, int n, int k) {
        for (int t = 0; t < batch; t++)
            matmul(a, aOff + t * aStride, b, bOff + t * bStride, c, cOff + t * cStride, m, n, k, false);
    }

    @Override
    public void linear(float[] x, int xOff, Tensor w, float[] y, int yOff, int rows, int out, int in) {
        checkMatrix(w, out, in);
        long base = w.offset();
        long rs = w.stride(0), cs = w.stride(1);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += (double) x[xOff + r * in + i] * w.getFlat(base + o * rs + i * cs);
                y[yOff + r * out + o] = (float) s;
            }
    }

    static void checkMatrix(Tensor w, int rows, int cols) {
        if (w.rank() != 2 || w.dim(0) != rows || w.dim(1) != cols)
            throw new IllegalArgumentException("weight " + w + " is not [" + rows + ", " + cols + "]");
    }

    // ---------------------------------------------------------------- element-wise and row ops

    @Override
    public void rmsNorm(float[] x, int xOff, Tensor w, float[] out, int outOff, int rows, int dim, float eps) {
        if (w.numel() != dim) throw new IllegalArgumentException("norm weight " + w + " is not [" + dim + "]");
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) { double v = x[xOff + r * dim + i]; ss += v * v; }
            double inv = 1.0 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++)
                out[outOff + r * dim + i] = (float) (x[xOff + r * dim + i] * inv * w.getFlat(w.offset() + i * w.stride(0)));
        }
    }

    @Override
    public void rmsNormBackward(float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                                int rows, int dim, float eps) {
        // y_i = x_i * r * w_i with r = (mean(x^2)+eps)^-1/2; dr/dx_j = -r^3 x_j / dim
        for (int row = 0; row < rows; row++) {
            int xo = xOff + row * dim, go = dyOff + row * dim, dxo = dxOff + row * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[xo + i] * x[xo + i];
            double r = 1.0 / Math.sqrt(ss / dim + eps);
            double dot = 0; // sum_i dy_i w_i x_i
            for (int i = 0; i < dim; i++) dot += (double) dy[go + i] * w[i] * x[xo + i];
            for (int i = 0; i < dim; i++) {
                dx[dxo + i] = (float) (r * dy[go + i] * w[i] - r * r * r * x[xo + i] * dot / dim);
                dw[i] += (float) ((double) dy[go + i] * x[xo + i] * r);
            }
        }
    }

    @Override
    public void rope(float[] x, int xOff, int tokens, int heads, int headDim, int[] positions, int posOff, double theta,
                     RopeStyle style, boolean inverse) {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++) {
            int pos = positions[posOff + t];
            for (int i = 0; i < half; i++) {
                double angle = pos * ropeInvFreq(theta, i, headDim);
                double cos = Math.cos(angle), sin = inverse ? -Math.sin(angle) : Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int base = xOff + (t * heads + h) * headDim;
                    int i0 = style == RopeStyle.ROTATE_HALF ? base + i : base + 2 * i;
                    int i1 = style == RopeStyle.ROTATE_HALF ? base + i + half : base + 2 * i + 1;
                    double a = x[i0], b = x[i1];
                    x[i0] = (float) (a * cos - b * sin);
                    x[i1] = (float) (a * sin + b * cos);
                }
            }
        }
    }

    /**
     * theta^(-2i/d), evaluated in f32 like the HF and JAX implementations do (the angle p * inv_freq is then
     * taken in double: at 1M positions an f32 angle would lose the low bits that distinguish neighbours).
     */
    public static double ropeInvFreq(double theta, int i, int headDim) {
        return (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
    }

    @Override
    public void softmax(float[] x, int off, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[o + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
            for (int j = 0; j < cols; j++) x[o + j] = (float) (Math.exp(x[o + j] - max) / sum);
        }
    }

    static double silu(double g) { return g / (1 + Math.exp(-g)); }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        for (int i = 0; i < n; i++) out[oOff + i] = (float) (silu(gate[gOff + i]) * up[uOff + i]);
    }

    @Override
    public void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, float[] dUp, int n) {
        for (int i = 0; i < n; i++) {
            double g = gate[gOff + i], s = 1 / (1 + Math.exp(-g));
            double d = dOut[dOff + i];
            dUp[i] = (float) (d * g * s);
            dGate[i] = (float) (d * up[uOff + i] * s * (1 + g * (1 - s)));
        }
    }

    @Override
    public void embedding(Tensor table, int[] ids, int idsOff, int count, float[] out, int outOff) {
        int vocab = (int) table.dim(0), dim = (int) table.dim(1);
        for (int t = 0; t < count; t++) {
            int id = ids[idsOff + t];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " at position " + t + " outside vocabulary [0, " + vocab + ")");
            for (int i = 0; i < dim; i++) out[outOff + t * dim + i] = table.getFlat(table.offset() + id * table.stride(0) + i * table.stride(1));
        }
    }

    @Override
    public void crossEntropy(float[] logits, int off, int rows, int vocab, int[] targets, int tOff, float[] nll, float[] lse,
                             float[] dlogits, float[] rowWeight) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[o + j]);
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(logits[o + j] - max);
            double l = max + Math.log(sum);
            lse[r] = (float) l;
            int t = targets[tOff + r];
            if (t >= vocab) throw new IllegalArgumentException("target id " + t + " at row " + r + " outside vocabulary [0, " + vocab + ")");
            nll[r] = t < 0 ? 0f : (float) (l - logits[o + t]);
            if (dlogits != null) {
                double w = t < 0 ? 0 : rowWeight[r];
                for (int j = 0; j < vocab; j++)
                    dlogits[r * vocab + j] = (float) (w * (Math.exp(logits[o + j] - l) - (j == t ? 1 : 0)));
            }
        }
    }

    // ---------------------------------------------------------------- attention

    static boolean visible(AttentionArgs a, int i, int j) {
        if (a.causal() && a.kPos()[j] > a.qPos()[i]) return false;
        return a.qSeg() == null || a.qSeg()[i] == a.kSeg()[j];
    }

    static double dot(float[] x, int xo, float[] y, int yo, int n) {
        double s = 0;
        for (int d = 0; d < n; d++) s += (double) x[xo + d] * y[yo + d];
        return s;
    }

    /** Online softmax over key blocks of size blockK, one query row at a time; memory O(blockK + headDim). */
    @Override
    public void attentionForward(AttentionArgs a) {
        int H = a.heads(), D = a.headDim(), group = a.heads() / a.kvHeads(), Hk = a.kvHeads();
        double[] acc = new double[D];
        double[] s = new double[a.blockK()];
        for (int i = 0; i < a.tokensQ(); i++)
            for (int h = 0; h < H; h++) {
                int qo = a.qOff() + (i * H + h) * D, kh = h / group;
                double m = Double.NEGATIVE_INFINITY, l = 0;
                java.util.Arrays.fill(acc, 0);
                for (int j0 = 0; j0 < a.tokensK(); j0 += a.blockK()) {
                    int j1 = Math.min(a.tokensK(), j0 + a.blockK());
                    double bm = Double.NEGATIVE_INFINITY;
                    for (int j = j0; j < j1; j++) {
                        s[j - j0] = visible(a, i, j) ? a.scale() * dot(a.q(), qo, a.k(), a.kOff() + (j * Hk + kh) * D, D) : Double.NEGATIVE_INFINITY;
                        bm = Math.max(bm, s[j - j0]);
                    }
                    if (bm == Double.NEGATIVE_INFINITY) continue; // block fully masked for this row
                    double mNew = Math.max(m, bm), alpha = Math.exp(m - mNew);
                    l *= alpha;
                    for (int d = 0; d < D; d++) acc[d] *= alpha;
                    for (int j = j0; j < j1; j++) {
                        if (s[j - j0] == Double.NEGATIVE_INFINITY) continue;
                        double p = Math.exp(s[j - j0] - mNew);
                        l += p;
                        int vo = a.vOff() + (j * Hk + kh) * D;
                        for (int d = 0; d < D; d++) acc[d] += p * a.v()[vo + d];
                    }
                    m = mNew;
                }
                int oo = a.outOff() + (i * H + h) * D;
                for (int d = 0; d < D; d++) a.out()[oo + d] = l == 0 ? 0f : (float) (acc[d] / l);
                a.lse()[a.lseOff() + i * H + h] = l == 0 ? Float.NEGATIVE_INFINITY : (float) (m + Math.log(l));
            }
    }

    @Override
    public void attentionDelta(float[] out, float[] dOut, float[] delta, int tokens, int heads, int headDim) {
        for (int t = 0; t < tokens * heads; t++) delta[t] = (float) dot(out, t * headDim, dOut, t * headDim, headDim);
    }

    /**
     * dq, dk, dv accumulate (callers zero them once), so a ring can add the contributions of every hop.
     * dOut, delta, dq share q's layout and offsets-from-zero: dOut[tokensQ, heads, headDim] starting at 0.
     */
    @Override
    public void attentionBackward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        int H = a.heads(), D = a.headDim(), group = a.heads() / a.kvHeads(), Hk = a.kvHeads();
        for (int i = 0; i < a.tokensQ(); i++)
            for (int h = 0; h < H; h++) {
                float lse = a.lse()[a.lseOff() + i * H + h];
                if (lse == Float.NEGATIVE_INFINITY) continue;
                int qo = a.qOff() + (i * H + h) * D, go = (i * H + h) * D, kh = h / group;
                double di = delta[i * H + h];
                for (int j = 0; j < a.tokensK(); j++) {
                    if (!visible(a, i, j)) continue;
                    int ko = a.kOff() + (j * Hk + kh) * D, vo = a.vOff() + (j * Hk + kh) * D;
                    int dko = (j * Hk + kh) * D;
                    double p = Math.exp(a.scale() * dot(a.q(), qo, a.k(), ko, D) - lse);
                    double dp = dot(dOut, go, a.v(), vo, D);
                    double ds = p * (dp - di) * a.scale();
                    for (int d = 0; d < D; d++) {
                        dv[dko + d] += (float) (p * dOut[go + d]);
                        dq[go + d] += (float) (ds * a.k()[ko + d]);
                        dk[dko + d] += (float) (ds * a.q()[qo + d]);
                    }
                }
            }
    }
}
