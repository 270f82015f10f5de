package lwm.kernels;

import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static lwm.kernels.Check.close;
import static lwm.kernels.Check.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The reference itself against the textbook formulas: transposes written out, Hugging Face's
 * {@code q * cos + rotate_half(q) * sin}, RoPE's relative-position property, and finite differences in
 * double for every backward kernel. Everything else is tested against ScalarKernels, so it must be right.
 */
class ScalarKernelsTest {
    static final ScalarKernels ref = new ScalarKernels();

    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    @Test
    void matmulSmallExampleAndTransposedForms() {
        float[] c = new float[4];
        ref.matmul(new float[]{1, 2, 3, 4, 5, 6}, 0, new float[]{7, 8, 9, 10, 11, 12}, 0, c, 0, 2, 2, 3, false);
        assertArrayEquals(new float[]{58, 64, 139, 154}, c);
        ref.matmul(new float[]{1, 2, 3, 4, 5, 6}, 0, new float[]{7, 8, 9, 10, 11, 12}, 0, c, 0, 2, 2, 3, true);
        assertArrayEquals(new float[]{116, 128, 278, 308}, c);

        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int m = 5, n = 7, k = 9;
        float[] a = random(r, m * k), b = random(r, k * n), want = new float[m * n], got = new float[m * n];
        ref.matmul(a, 0, b, 0, want, 0, m, n, k, false);
        ref.matmulNT(a, 0, transpose(b, k, n), 0, got, 0, m, n, k, false);
        close("matmulNT = matmul with B transposed", seed, want, got, 1e-6);
        ref.matmulTN(transpose(a, m, k), 0, b, 0, got, 0, m, n, k, false);
        close("matmulTN = matmul with A transposed", seed, want, got, 1e-6);
        try (Arena arena = Arena.ofShared()) {
            ref.linear(a, 0, Check.tensor(arena, DType.F32, transpose(b, k, n), n, k), got, 0, m, n, k);
            close("linear = x . W^T", seed, want, got, 1e-6);
        }
    }

    /** Hugging Face: cos = cat(freqs, freqs), q' = q * cos + rotate_half(q) * sin with rotate_half(q) = cat(-q2, q1). */
    @Test
    void ropeRotateHalfIsHuggingFaceFormula() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int d = 8, half = 4, heads = 2;
        int[] pos = {0, 1, 7, 1000, 999_999};
        float[] x = random(r, pos.length * heads * d), got = x.clone();
        ref.rope(got, 0, pos.length, heads, d, pos, 0, 5e7, RopeStyle.ROTATE_HALF, false);
        for (int t = 0; t < pos.length; t++)
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * d;
                for (int i = 0; i < d; i++) {
                    float invFreq = (float) (1.0 / Math.pow(5e7, (2.0 * (i % half)) / d));
                    double ang = (double) pos[t] * invFreq;
                    double rot = i < half ? -x[o + i + half] : x[o + i - half];
                    double want = x[o + i] * Math.cos(ang) + rot * Math.sin(ang);
                    assertEquals(want, got[o + i], 1e-6, "t=" + t + " h=" + h + " i=" + i + " seed " + seed + "L");
                }
                if (pos[t] == 0) for (int i = 0; i < d; i++) assertEquals(x[o + i], got[o + i], "position 0 is the identity");
            }
    }

    /** Interleaved pairing = rotate-half pairing after moving x[2i] to i and x[2i+1] to i + d/2. */
    @Test
    void ropeInterleavedIsAPermutedRotateHalf() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int d = 16, half = 8, tokens = 5;
        int[] pos = {3, 17, 250, 4096, 123_456};
        float[] x = random(r, tokens * d), perm = new float[x.length];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < half; i++) { perm[t * d + i] = x[t * d + 2 * i]; perm[t * d + half + i] = x[t * d + 2 * i + 1]; }
        ref.rope(x, 0, tokens, 1, d, pos, 0, 10000, RopeStyle.INTERLEAVED, false);
        ref.rope(perm, 0, tokens, 1, d, pos, 0, 10000, RopeStyle.ROTATE_HALF, false);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < half; i++) {
                assertEquals(perm[t * d + i], x[t * d + 2 * i], 1e-6);
                assertEquals(perm[t * d + half + i], x[t * d + 2 * i + 1], 1e-6);
            }
    }

    /** The property RoPE exists for: q.k after rotation depends on the position difference only; inverse undoes it. */
    @Test
    void ropeDependsOnRelativePositionAndInverts() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (RopeStyle style : RopeStyle.values()) {
            int d = 32;
            float[] q = random(r, d), k = random(r, d);
            double base = dotRotated(q, 100, k, 90, style), shifted = dotRotated(q, 5100, k, 5090, style);
            assertEquals(base, shifted, 1e-4, style + " seed " + seed + "L");
            float[] x = random(r, 3 * d), y = x.clone();
            int[] pos = {0, 77, 654_321};
            ref.rope(y, 0, 3, 1, d, pos, 0, 5e7, style, false);
            ref.rope(y, 0, 3, 1, d, pos, 0, 5e7, style, true);
            close(style + " inverse(rope(x)) = x", seed, x, y, 1e-6);
        }
    }

    static double dotRotated(float[] q, int qp, float[] k, int kp, RopeStyle style) {
        float[] a = q.clone(), b = k.clone();
        ref.rope(a, 0, 1, 1, a.length, new int[]{qp}, 0, 10000, style, false);
        ref.rope(b, 0, 1, 1, b.length, new int[]{kp}, 0, 10000, style, false);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void softmaxAndRmsNormArePlainFormulas() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 3, cols = 11;
        float[] x = random(r, rows * cols, 4), s = x.clone();
        ref.softmax(s, 0, rows, cols);
        for (int i = 0; i < rows; i++) {
            double z = 0;
            for (int j = 0; j < cols; j++) z += Math.exp(x[i * cols + j]);
            for (int j = 0; j < cols; j++) assertEquals(Math.exp(x[i * cols + j]) / z, s[i * cols + j], 1e-7);
        }
        try (Arena arena = Arena.ofShared()) {
            float[] w = random(r, cols), out = new float[rows * cols];
            ref.rmsNorm(x, 0, Check.tensor(arena, DType.F32, w, cols), out, 0, rows, cols, 1e-6f);
            for (int i = 0; i < rows; i++) {
                double ms = 0;
                for (int j = 0; j < cols; j++) ms += (double) x[i * cols + j] * x[i * cols + j] / cols;
                for (int j = 0; j < cols; j++) assertEquals(x[i * cols + j] / Math.sqrt(ms + 1e-6) * w[j], out[i * cols + j], 1e-6);
            }
        }
    }

    /** Loss L = sum(dy * rmsNorm(x; w)): dx and dw against central differences of a double forward. */
    @Test
    void rmsNormBackwardMatchesFiniteDifferences() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 3, dim = 7;
        float eps = 1e-5f;
        float[] x = random(r, rows * dim), w = random(r, dim), dy = random(r, rows * dim), dx = new float[rows * dim], dw = new float[dim];
        ref.rmsNormBackward(x, 0, w, dy, 0, dx, 0, dw, rows, dim, eps);
        double[] xd = Check2.widen(x), wd = Check2.widen(w);
        for (int i = 0; i < x.length; i++) {
            double fd = Check2.fd(xd, i, () -> rmsLoss(xd, wd, dy, rows, dim, eps));
            assertEquals(fd, dx[i], 1e-5, "dx[" + i + "] seed " + seed + "L");
        }
        for (int i = 0; i < dim; i++) {
            double fd = Check2.fd(wd, i, () -> rmsLoss(xd, wd, dy, rows, dim, eps));
            assertEquals(fd, dw[i], 1e-5, "dw[" + i + "] seed " + seed + "L");
        }
    }

    static double rmsLoss(double[] x, double[] w, float[] dy, int rows, int dim, float eps) {
        double loss = 0;
        for (int i = 0; i < rows; i++) {
            double ms = 0;
            for (int j = 0; j < dim; j++) ms += x[i * dim + j] * x[i * dim + j] / dim;
            for (int j = 0; j < dim; j++) loss += dy[i * dim + j] * x[i * dim + j] / Math.sqrt(ms + eps) * w[j];
        }
        return loss;
    }

    @Test
    void swigluBackwardMatchesFiniteDifferences() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int n = 9;
        float[] g = random(r, n, 6), u = random(r, n), d = random(r, n), out = new float[n], dg = new float[n], du = new float[n];
        ref.swiglu(g, 0, u, 0, out, 0, n);
        ref.swigluBackward(g, 0, u, 0, d, 0, dg, du, n);
        double[] gd = Check2.widen(g), ud = Check2.widen(u);
        for (int i = 0; i < n; i++) {
            assertEquals(g[i] / (1 + Math.exp(-g[i])) * u[i], out[i], 1e-6);
            int fi = i;
            double fdG = Check2.fd(gd, i, () -> d[fi] * gd[fi] / (1 + Math.exp(-gd[fi])) * ud[fi]);
            double fdU = Check2.fd(ud, i, () -> d[fi] * gd[fi] / (1 + Math.exp(-gd[fi])) * ud[fi]);
            assertEquals(fdG, dg[i], 1e-6, "dGate seed " + seed + "L");
            assertEquals(fdU, du[i], 1e-6, "dUp seed " + seed + "L");
        }
    }

    /** nll = -log softmax[target]; dlogits = gradient of sum_r weight_r nll_r (finite differences). */
    @Test
    void crossEntropyIsWeightedNegativeLogLikelihood() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 4, vocab = 6;
        float[] logits = random(r, rows * vocab, 3), w = random(r, rows);
        int[] t = {2, -1, 0, 5};
        float[] nll = new float[rows], lse = new float[rows], dl = new float[rows * vocab];
        ref.crossEntropy(logits, 0, rows, vocab, t, 0, nll, lse, dl, w);
        double[] ld = Check2.widen(logits);
        for (int i = 0; i < rows; i++) {
            double z = 0;
            for (int j = 0; j < vocab; j++) z += Math.exp(logits[i * vocab + j]);
            assertEquals(Math.log(z), lse[i], 1e-6);
            assertEquals(t[i] < 0 ? 0 : -Math.log(Math.exp(logits[i * vocab + t[i]]) / z), nll[i], 1e-6);
        }
        for (int i = 0; i < ld.length; i++) {
            double fd = Check2.fd(ld, i, () -> {
                double loss = 0;
                for (int row = 0; row < rows; row++) {
                    if (t[row] < 0) continue;
                    double z = 0;
                    for (int j = 0; j < vocab; j++) z += Math.exp(ld[row * vocab + j]);
                    loss += w[row] * (Math.log(z) - ld[row * vocab + t[row]]);
                }
                return loss;
            });
            assertEquals(fd, dl[i], 1e-6, "dlogits[" + i + "] seed " + seed + "L");
        }
    }

    @Test
    void embeddingCopiesRowsOfAnyDtype() {
        try (Arena arena = Arena.ofShared()) {
            Tensor table = Check.tensor(arena, DType.BF16, new float[]{1, 2, 3, 4.5f, 5, -6}, 3, 2);
            float[] out = new float[6];
            ref.embedding(table, new int[]{2, 0, 1}, 0, 3, out, 0);
            assertArrayEquals(new float[]{5, -6, 1, 2, 3, 4.5f}, out);
        }
    }
}

/** Central finite differences in double. */
final class Check2 {
    private Check2() {}

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double fd(double[] x, int i, java.util.function.DoubleSupplier f) {
        double keep = x[i], h = 1e-6;
        x[i] = keep + h;
        double up = f.getAsDouble();
        x[i] = keep - h;
        double down = f.getAsDouble();
        x[i] = keep;
        return (up - down) / (2 * h);
    }
}
