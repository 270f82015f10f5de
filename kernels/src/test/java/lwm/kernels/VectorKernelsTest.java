package lwm.kernels;

import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static lwm.kernels.Check.close;
import static lwm.kernels.Check.nans;
import static lwm.kernels.Check.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every {@link VectorKernels} method against {@link ScalarKernels} on random inputs, outputs poisoned with
 * NaN before the call, at sizes that are not multiples of the vector length. Tolerance 1e-5 relative (see
 * {@link Check}) unless a comment says why a kernel needs more.
 */
class VectorKernelsTest {
    static final int[] SIZES = {1, 3, 17, 67, 131};
    static final double TOL = 1e-5;

    static final ScalarKernels ref = new ScalarKernels();
    static VectorKernels vec;
    /** An odd worker count, so chunking never divides work evenly. */
    static VectorKernels vec3;

    @BeforeAll
    static void start() {
        vec = new VectorKernels(2);
        vec3 = new VectorKernels(3);
    }

    @AfterAll
    static void stop() {
        vec.close();
        vec3.close();
    }

    interface Product {
        void run(Kernels k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k2, boolean acc);
    }

    private void checkProduct(String name, Product p) {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int m : SIZES)
            for (int n : SIZES)
                for (int k : SIZES) {
                    int aOff = r.nextInt(5), bOff = r.nextInt(5), cOff = r.nextInt(5);
                    float[] a = random(r, aOff + m * k), b = random(r, bOff + k * n);
                    boolean acc = r.nextBoolean();
                    float[] init = random(r, cOff + m * n);
                    float[] expect = acc ? init.clone() : nans(cOff + m * n);
                    float[] got = acc ? init.clone() : nans(cOff + m * n);
                    p.run(ref, a, aOff, b, bOff, expect, cOff, m, n, k, acc);
                    p.run(m * n * k % 2 == 0 ? vec : vec3, a, aOff, b, bOff, got, cOff, m, n, k, acc);
                    close(name + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc, seed, expect, cOff, got, cOff, m * n, TOL, Check.dotScale(a, b, k));
                }
        // one product large enough to cross every blocking boundary (KC, MC, NC) with ragged edges
        int m = 150, n = Gemm.NC + 37, k = Gemm.KC * 2 + 19;
        float[] a = random(r, m * k), b = random(r, k * n), expect = nans(m * n), got = nans(m * n);
        p.run(ref, a, 0, b, 0, expect, 0, m, n, k, false);
        p.run(vec, a, 0, b, 0, got, 0, m, n, k, false);
        close(name + " large", seed, expect, got, TOL);
    }

    @Test
    void matmul() { checkProduct("matmul", Kernels::matmul); }

    @Test
    void matmulNT() { checkProduct("matmulNT", Kernels::matmulNT); }

    @Test
    void matmulTN() { checkProduct("matmulTN", Kernels::matmulTN); }

    @Test
    void batchedMatmul() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int batch : new int[]{1, 3, 7})
            for (int m : new int[]{1, 17, 67})
                for (int n : new int[]{3, 67}) {
                    int k = SIZES[r.nextInt(SIZES.length)];
                    int aS = m * k + r.nextInt(3), bS = k * n + r.nextInt(3), cS = m * n + r.nextInt(3);
                    float[] a = random(r, 2 + batch * aS), b = random(r, 1 + batch * bS);
                    float[] expect = nans(3 + batch * cS), got = nans(3 + batch * cS);
                    ref.batchedMatmul(a, 2, aS, b, 1, bS, expect, 3, cS, batch, m, n, k);
                    vec.batchedMatmul(a, 2, aS, b, 1, bS, got, 3, cS, batch, m, n, k);
                    for (int t = 0; t < batch; t++)
                        close("batched b=" + batch + " m=" + m + " n=" + n + " k=" + k + " item " + t, seed, expect, 3 + t * cS, got, 3 + t * cS, m * n, TOL,
                                Check.dotScale(a, b, k));
                }
    }

    @Test
    void linearAllDtypes() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[]{DType.F32, DType.BF16, DType.F16})
                for (int rows : new int[]{1, 3, LinearKernel.GEMM_ROWS + 5})
                    for (int out : SIZES)
                        for (int in : new int[]{1, 17, 67, 131}) {
                            Tensor w = Check.tensor(arena, type, random(r, out * in), out, in);
                            int xOff = r.nextInt(4), yOff = r.nextInt(4);
                            float[] x = random(r, xOff + rows * in);
                            float[] expect = nans(yOff + rows * out), got = nans(yOff + rows * out);
                            ref.linear(x, xOff, w, expect, yOff, rows, out, in);
                            vec.linear(x, xOff, w, got, yOff, rows, out, in);
                            close("linear " + type + " rows=" + rows + " out=" + out + " in=" + in, seed, expect, yOff, got, yOff, rows * out, TOL,
                                    Check.dotScale(x, w.toFloatArray(), in));
                        }
        }
    }

    @Test
    void linearStridedWeightView() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[]{DType.F32, DType.BF16}) {
                int out = 67, in = 131;
                // W as the transpose of a stored [in, out] matrix: stride(1) != 1
                Tensor w = Check.tensor(arena, type, random(r, out * in), in, out).transpose(0, 1);
                for (int rows : new int[]{1, 5, 40}) {
                    float[] x = random(r, rows * in), expect = nans(rows * out), got = nans(rows * out);
                    ref.linear(x, 0, w, expect, 0, rows, out, in);
                    vec.linear(x, 0, w, got, 0, rows, out, in);
                    close("linear transposed view " + type + " rows=" + rows, seed, expect, got, TOL);
                }
            }
        }
    }

    @Test
    void linearRejectsWrongShape() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = Tensor.allocate(arena, DType.F32, 4, 5);
            assertThrows(IllegalArgumentException.class, () -> vec.linear(new float[5], 0, w, new float[5], 0, 1, 5, 4));
        }
    }

    @Test
    void rmsNorm() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[]{DType.F32, DType.BF16, DType.F16})
                for (int rows : SIZES)
                    for (int dim : SIZES) {
                        Tensor w = Check.tensor(arena, type, random(r, dim), dim);
                        float[] x = random(r, 2 + rows * dim, 3), expect = nans(1 + rows * dim), got = nans(1 + rows * dim);
                        ref.rmsNorm(x, 2, w, expect, 1, rows, dim, 1e-5f);
                        vec.rmsNorm(x, 2, w, got, 1, rows, dim, 1e-5f);
                        close("rmsNorm " + type + " rows=" + rows + " dim=" + dim, seed, expect, got, TOL);
                    }
        }
    }

    @Test
    void rmsNormBackward() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int rows : SIZES)
            for (int dim : SIZES) {
                float[] x = random(r, 1 + rows * dim), w = random(r, dim), dy = random(r, 2 + rows * dim);
                float[] dwInit = random(r, dim);
                float[] dxE = nans(3 + rows * dim), dxG = nans(3 + rows * dim), dwE = dwInit.clone(), dwG = dwInit.clone();
                ref.rmsNormBackward(x, 1, w, dy, 2, dxE, 3, dwE, rows, dim, 1e-5f);
                (rows % 2 == 0 ? vec3 : vec).rmsNormBackward(x, 1, w, dy, 2, dxG, 3, dwG, rows, dim, 1e-5f);
                // dx = r w dy - r^3 x (dy.w.x)/dim cancels almost exactly for tiny dim: measure against the size of r w dy
                close("rmsNormBackward dx rows=" + rows + " dim=" + dim, seed, dxE, 3, dxG, 3, rows * dim, TOL, termScale(x, 1, w, dy, 2, rows, dim));
                // dw sums dy * (x r) over the rows, x r being O(1): measured against that sum's typical size sqrt(rows) |dy|
                close("rmsNormBackward dw rows=" + rows + " dim=" + dim, seed, dwE, 0, dwG, 0, dim, TOL,
                        Math.sqrt(rows) * Check.rms(dy, 0, dy.length));
            }
    }

    static double termScale(float[] x, int xOff, float[] w, float[] dy, int dyOff, int rows, int dim) {
        double s = 0;
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[xOff + row * dim + i] * x[xOff + row * dim + i];
            double r = 1 / Math.sqrt(ss / dim + 1e-5);
            for (int i = 0; i < dim; i++) { double t = r * w[i] * dy[dyOff + row * dim + i]; s += t * t; }
        }
        return Math.sqrt(s / (rows * dim));
    }

    @Test
    void ropeBothStylesAndInverse() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (RopeStyle style : RopeStyle.values())
            for (boolean inverse : new boolean[]{false, true})
                for (int tokens : new int[]{1, 3, 17})
                    for (int heads : new int[]{1, 3})
                        for (int headDim : new int[]{2, 6, 34, 64, 130}) {
                            int[] pos = new int[1 + tokens];
                            for (int t = 0; t <= tokens; t++) pos[t] = r.nextInt(r.nextBoolean() ? 4096 : 1 << 20);
                            float[] x = random(r, 3 + tokens * heads * headDim), e = x.clone(), g = x.clone();
                            double theta = r.nextBoolean() ? 10000 : 5e7;
                            ref.rope(e, 3, tokens, heads, headDim, pos, 1, theta, style, inverse);
                            vec.rope(g, 3, tokens, heads, headDim, pos, 1, theta, style, inverse);
                            close("rope " + style + " inverse=" + inverse + " t=" + tokens + " h=" + heads + " d=" + headDim, seed, e, g, TOL);
                        }
    }

    @Test
    void softmax() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int rows : SIZES)
            for (int cols : new int[]{1, 3, 17, 67, 131, 1000}) {
                float[] x = random(r, 2 + rows * cols, 8);
                if (cols > 3) x[2 + cols / 2] = Float.NEGATIVE_INFINITY; // masked entries stay exactly 0
                float[] e = x.clone(), g = x.clone();
                ref.softmax(e, 2, rows, cols);
                vec.softmax(g, 2, rows, cols);
                close("softmax rows=" + rows + " cols=" + cols, seed, e, g, TOL);
            }
    }

    @Test
    void swigluAndBackward() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : new int[]{1, 3, 17, 67, 131, 40_000}) {
            float[] gate = random(r, 1 + n, 12), up = random(r, 2 + n), dOut = random(r, 3 + n);
            float[] e = nans(4 + n), g = nans(4 + n);
            ref.swiglu(gate, 1, up, 2, e, 4, n);
            vec.swiglu(gate, 1, up, 2, g, 4, n);
            close("swiglu n=" + n, seed, e, g, TOL);
            float[] dgE = nans(n), duE = nans(n), dgG = nans(n), duG = nans(n);
            ref.swigluBackward(gate, 1, up, 2, dOut, 3, dgE, duE, n);
            vec.swigluBackward(gate, 1, up, 2, dOut, 3, dgG, duG, n);
            close("swigluBackward dGate n=" + n, seed, dgE, dgG, TOL);
            close("swigluBackward dUp n=" + n, seed, duE, duG, TOL);
        }
    }

    @Test
    void embeddingAllDtypes() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[]{DType.F32, DType.BF16, DType.F16})
                for (int dim : SIZES) {
                    int vocab = 50, count = 37;
                    Tensor table = Check.tensor(arena, type, random(r, vocab * dim), vocab, dim);
                    int[] ids = Check.ints(r, 2 + count, vocab);
                    float[] e = nans(5 + count * dim), g = nans(5 + count * dim);
                    ref.embedding(table, ids, 2, count, e, 5);
                    vec.embedding(table, ids, 2, count, g, 5);
                    close("embedding " + type + " dim=" + dim, seed, e, 5, g, 5, count * dim, 0);
                }
            Tensor table = Tensor.allocate(arena, DType.F32, 4, 3);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> vec.embedding(table, new int[]{1, 4}, 0, 2, new float[6], 0));
            assertEquals("token id 4 at position 1 outside vocabulary [0, 4)", ex.getMessage());
        }
    }

    /** Every 16-bit pattern (normals, subnormals, infinities, NaNs) widens exactly like the scalar conversions. */
    @Test
    void everySixteenBitPatternWidensExactly() {
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[]{DType.BF16, DType.F16}) {
                Tensor table = Tensor.allocate(arena, type, 4096, 16);
                for (int i = 0; i < 65536; i++) table.segment().set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) i);
                int[] ids = new int[4096];
                for (int i = 0; i < ids.length; i++) ids[i] = i;
                float[] e = nans(65536), g = nans(65536);
                ref.embedding(table, ids, 0, 4096, e, 0);
                vec.embedding(table, ids, 0, 4096, g, 0);
                for (int i = 0; i < 65536; i++)
                    if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(g[i]))
                        throw new AssertionError(type + " bits 0x" + Integer.toHexString(i) + ": expected " + e[i] + " got " + g[i]);
            }
        }
    }

    @Test
    void crossEntropy() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int rows : SIZES)
            for (int vocab : new int[]{1, 3, 17, 131, 32000}) {
                if (rows * vocab > 500_000) continue;
                float[] logits = random(r, 3 + rows * vocab, 10);
                int[] targets = new int[1 + rows];
                float[] weight = random(r, rows);
                for (int i = 0; i <= rows; i++) targets[i] = r.nextInt(4) == 0 ? -1 : r.nextInt(vocab);
                for (boolean grad : new boolean[]{false, true}) {
                    float[] nllE = nans(rows), lseE = nans(rows), nllG = nans(rows), lseG = nans(rows);
                    float[] dE = grad ? nans(rows * vocab) : null, dG = grad ? nans(rows * vocab) : null;
                    ref.crossEntropy(logits, 3, rows, vocab, targets, 1, nllE, lseE, dE, weight);
                    vec.crossEntropy(logits, 3, rows, vocab, targets, 1, nllG, lseG, dG, weight);
                    String what = "crossEntropy rows=" + rows + " vocab=" + vocab;
                    close(what + " lse", seed, lseE, lseG, TOL);
                    // nll = lse - logit[target] subtracts two O(10) numbers: compare against the lse scale
                    for (int i = 0; i < rows; i++)
                        if (Math.abs(nllE[i] - nllG[i]) > TOL * Math.max(1, Math.abs(lseE[i])))
                            throw new AssertionError(what + " nll row " + i + " expected " + nllE[i] + " got " + nllG[i] + " (seed " + seed + "L)");
                    if (grad) close(what + " dlogits", seed, dE, dG, TOL);
                }
            }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> vec.crossEntropy(new float[6], 0, 2, 3, new int[]{0, 3}, 0, new float[2], new float[2], null, null));
        assertEquals("target id 3 at row 1 outside vocabulary [0, 3)", ex.getMessage());
    }

    @Test
    void attentionDelta() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int tokens : SIZES)
            for (int headDim : new int[]{1, 17, 64, 131}) {
                int heads = 3;
                float[] o = random(r, tokens * heads * headDim), d = random(r, tokens * heads * headDim);
                float[] e = nans(tokens * heads), g = nans(tokens * heads);
                ref.attentionDelta(o, d, e, tokens, heads, headDim);
                vec.attentionDelta(o, d, g, tokens, heads, headDim);
                close("attentionDelta t=" + tokens + " d=" + headDim, seed, e, 0, g, 0, e.length, TOL, Check.dotScale(o, d, headDim));
            }
    }

    /** One instance shared by callers on several threads (a ring rank's compute and prefetch threads do this). */
    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        long seed = Check.seed();
        int m = 67, n = 131, k = 300;
        java.util.List<java.util.concurrent.Future<?>> jobs = new java.util.ArrayList<>();
        var exec = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (int t = 0; t < 6; t++) {
                long s = seed + t;
                jobs.add(exec.submit(() -> {
                    SplittableRandom r = new SplittableRandom(s);
                    float[] a = random(r, m * k), b = random(r, k * n), e = nans(m * n), g = nans(m * n);
                    ref.matmul(a, 0, b, 0, e, 0, m, n, k, false);
                    for (int rep = 0; rep < 5; rep++) {
                        vec.matmul(a, 0, b, 0, g, 0, m, n, k, false);
                        close("concurrent matmul", s, e, g, TOL);
                    }
                    return null;
                }));
            }
            for (var j : jobs) j.get();
        } finally {
            exec.shutdown();
        }
    }

    @Test
    void nameSaysThreads() {
        assertEquals("vector(2 threads)", vec.name());
        try (VectorKernels one = new VectorKernels(1)) {
            assertEquals("vector(1 thread)", one.name());
        }
        assertThrows(IllegalArgumentException.class, () -> new VectorKernels(0));
    }
}
