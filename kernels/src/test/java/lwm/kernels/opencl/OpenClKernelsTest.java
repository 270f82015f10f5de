package lwm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Every OpenCL kernel against {@link ScalarKernels} on random inputs: a fresh seed per test (printed in
 * every failure), outputs poisoned with NaN before the call (and checked to stay NaN outside the written
 * range), odd sizes that leave partial tiles in every dimension.
 */
class OpenClKernelsTest {
    private final Kernels ref = new ScalarKernels();
    private final long seed = System.nanoTime();
    private final SplittableRandom rnd = new SplittableRandom(seed);

    private static OpenClKernels cl() { return OpenClTestDevice.kernels(); }

    private float[] rand(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** |got - want| <= tol * (1 + |want|) everywhere; NaN only where want is NaN. */
    private void close(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            boolean ok = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                    : want[i] == got[i] || Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i]));
            if (!ok) fail(what + ": element " + i + " want " + want[i] + " got " + got[i] + " (seed " + seed + ")");
        }
    }

    private Tensor weight(Arena arena, DType dt, float[] values, long... shape) {
        Tensor t = Tensor.allocate(arena, dt, shape);
        for (int i = 0; i < values.length; i++) t.setFlat(i, values[i]);
        return t;
    }

    // ---------------------------------------------------------------- matrix products

    @Test
    void matmulVariantsMatchReference() {
        int[][] shapes = {{1, 1, 1}, {7, 13, 5}, {33, 130, 17}, {129, 131, 40}, {5, 3, 300}, {257, 133, 35}};
        for (OpenClKernels cl : OpenClTestDevice.allLayouts())
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int variant = 0; variant < 3; variant++)
                for (boolean acc : new boolean[] {false, true}) {
                    float[] a = rand(3 + m * k, 1), b = rand(2 + k * n, 1);
                    float[] want = acc ? rand(4 + m * n + 3, 1) : nan(4 + m * n + 3), got = want.clone();
                    String what = cl.ops().layout() + " matmul" + new String[] {"", "NT", "TN"}[variant] + " " + Arrays.toString(s) + " acc=" + acc;
                    switch (variant) {
                        case 0 -> { ref.matmul(a, 3, b, 2, want, 4, m, n, k, acc); cl.matmul(a, 3, b, 2, got, 4, m, n, k, acc); }
                        case 1 -> { ref.matmulNT(a, 3, b, 2, want, 4, m, n, k, acc); cl.matmulNT(a, 3, b, 2, got, 4, m, n, k, acc); }
                        default -> { ref.matmulTN(a, 3, b, 2, want, 4, m, n, k, acc); cl.matmulTN(a, 3, b, 2, got, 4, m, n, k, acc); }
                    }
                    close(want, got, 2e-5, what);
                }
        }
    }

    @Test
    void batchedMatmulLeavesGapsAlone() {
        int batch = 3, m = 9, n = 11, k = 7;
        float[] a = rand(1 + batch * (m * k + 2), 1), b = rand(batch * (k * n + 1), 1);
        float[] want = nan(5 + batch * (m * n + 4)), got = want.clone();
        ref.batchedMatmul(a, 1, m * k + 2, b, 0, k * n + 1, want, 5, m * n + 4, batch, m, n, k);
        cl().batchedMatmul(a, 1, m * k + 2, b, 0, k * n + 1, got, 5, m * n + 4, batch, m, n, k);
        close(want, got, 2e-5, "batchedMatmul");
    }

    @Test
    void linearWithEveryWeightDtype() {
        try (Arena arena = Arena.ofConfined()) {
            for (OpenClKernels cl : OpenClTestDevice.allLayouts())
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16})
                for (int rows : new int[] {1, 5, 130}) {
                    int out = 37, in = 70;
                    Tensor w = weight(arena, dt, rand(out * in, 1), out, in);
                    float[] x = rand(2 + rows * in, 1), want = nan(rows * out + 1), got = want.clone();
                    ref.linear(x, 2, w, want, 1, rows, out, in);
                    cl.linear(x, 2, w, got, 1, rows, out, in);
                    close(want, got, 2e-5, cl.ops().layout() + " linear " + dt + " rows " + rows);
                }
            // a transposed (non-contiguous) view is read in its logical order
            Tensor w = weight(arena, DType.BF16, rand(40 * 24, 1), 40, 24).transpose(0, 1);
            float[] x = rand(3 * 40, 1), want = nan(3 * 24), got = want.clone();
            ref.linear(x, 0, w, want, 0, 3, 24, 40);
            cl().linear(x, 0, w, got, 0, 3, 24, 40);
            close(want, got, 2e-5, "linear on a transposed bf16 view");
        }
    }

    @Test
    void specialBf16AndF16ValuesDecodeExactly() {
        try (Arena arena = Arena.ofConfined()) {
            float[] special = {0f, -0f, 1f, -2.5f, 65504f, 6.1e-5f, 5.96e-8f, 1e-40f, 3.0e38f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
            for (DType dt : new DType[] {DType.BF16, DType.F16}) {
                Tensor table = weight(arena, dt, special, special.length, 1);
                int[] ids = new int[special.length];
                for (int i = 0; i < ids.length; i++) ids[i] = i;
                float[] want = nan(ids.length), got = nan(ids.length);
                ref.embedding(table, ids, 0, ids.length, want, 0);
                cl().embedding(table, ids, 0, ids.length, got, 0);
                for (int i = 0; i < ids.length; i++)
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), dt + " value " + special[i]);
            }
        }
    }

    // ---------------------------------------------------------------- row and element-wise ops

    @Test
    void rmsNormForwardAndBackward() {
        try (Arena arena = Arena.ofConfined()) {
            for (int dim : new int[] {1, 7, 300, 4099})
                for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                    int rows = 5;
                    float[] wv = rand(dim, 2);
                    Tensor w = weight(arena, dt, wv, dim);
                    float[] x = rand(1 + rows * dim, 3), want = nan(rows * dim + 2), got = want.clone();
                    ref.rmsNorm(x, 1, w, want, 2, rows, dim, 1e-5f);
                    cl().rmsNorm(x, 1, w, got, 2, rows, dim, 1e-5f);
                    close(want, got, 2e-5, "rmsNorm dim " + dim + " " + dt);
                }
            for (int dim : new int[] {3, 257}) {
                int rows = 6;
                float[] x = rand(2 + rows * dim, 2), w = rand(dim, 1), dy = rand(1 + rows * dim, 1);
                float[] dxW = nan(3 + rows * dim), dxG = dxW.clone(), dwW = rand(dim, 1), dwG = dwW.clone();
                ref.rmsNormBackward(x, 2, w, dy, 1, dxW, 3, dwW, rows, dim, 1e-6f);
                cl().rmsNormBackward(x, 2, w, dy, 1, dxG, 3, dwG, rows, dim, 1e-6f);
                close(dxW, dxG, 5e-5, "rmsNormBackward dx dim " + dim);
                close(dwW, dwG, 5e-5, "rmsNormBackward dw dim " + dim);
            }
        }
    }

    @Test
    void ropeBothStylesForwardAndInverse() {
        for (RopeStyle style : RopeStyle.values())
            for (boolean inverse : new boolean[] {false, true}) {
                int tokens = 11, heads = 3, hd = 10;
                int[] pos = new int[tokens + 2];
                for (int i = 0; i < pos.length; i++) pos[i] = rnd.nextInt(1_000_000);
                float[] want = rand(4 + tokens * heads * hd, 1), got = want.clone();
                ref.rope(want, 4, tokens, heads, hd, pos, 2, 10000.0, style, inverse);
                cl().rope(got, 4, tokens, heads, hd, pos, 2, 10000.0, style, inverse);
                close(want, got, 1e-5, "rope " + style + " inverse=" + inverse);
            }
    }

    @Test
    void softmaxRows() {
        for (int cols : new int[] {1, 5, 1000}) {
            float[] want = rand(3 + 4 * cols, 20), got = want.clone();
            ref.softmax(want, 3, 4, cols);
            cl().softmax(got, 3, 4, cols);
            close(want, got, 2e-5, "softmax cols " + cols);
        }
    }

    @Test
    void swigluForwardAndBackward() {
        int n = 1001;
        float[] g = rand(n + 2, 6), u = rand(n + 1, 3), d = rand(n + 3, 1);
        float[] want = nan(n + 4), got = want.clone();
        ref.swiglu(g, 2, u, 1, want, 4, n);
        cl().swiglu(g, 2, u, 1, got, 4, n);
        close(want, got, 2e-5, "swiglu");
        float[] dgW = nan(n), duW = nan(n), dgG = nan(n), duG = nan(n);
        ref.swigluBackward(g, 2, u, 1, d, 3, dgW, duW, n);
        cl().swigluBackward(g, 2, u, 1, d, 3, dgG, duG, n);
        close(dgW, dgG, 2e-5, "swiglu dGate");
        close(duW, duG, 2e-5, "swiglu dUp");
    }

    @Test
    void embeddingRowsAndBadIds() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                int vocab = 50, dim = 13, count = 9;
                Tensor table = weight(arena, dt, rand(vocab * dim, 2), vocab, dim);
                int[] ids = new int[count + 1];
                for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(vocab);
                float[] want = nan(2 + count * dim), got = want.clone();
                ref.embedding(table, ids, 1, count, want, 2);
                cl().embedding(table, ids, 1, count, got, 2);
                close(want, got, 0, "embedding " + dt);
                ids[3] = vocab;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cl().embedding(table, ids, 1, count, got, 2));
                assertTrue(e.getMessage().contains("token id " + vocab), e.getMessage());
            }
        }
    }

    @Test
    void crossEntropyWithIgnoredRows() {
        int rows = 6, vocab = 1003;
        float[] logits = rand(2 + rows * vocab, 8);
        int[] t = new int[rows + 1];
        for (int i = 0; i < t.length; i++) t[i] = rnd.nextInt(vocab);
        t[3] = -1;
        float[] w = rand(rows, 1);
        float[] nllW = nan(rows), lseW = nan(rows), dW = nan(rows * vocab), nllG = nan(rows), lseG = nan(rows), dG = nan(rows * vocab);
        ref.crossEntropy(logits, 2, rows, vocab, t, 1, nllW, lseW, dW, w);
        cl().crossEntropy(logits, 2, rows, vocab, t, 1, nllG, lseG, dG, w);
        close(nllW, nllG, 2e-5, "nll");
        close(lseW, lseG, 2e-5, "lse");
        close(dW, dG, 2e-5, "dlogits");
        float[] nll2 = nan(rows), lse2 = nan(rows);
        cl().crossEntropy(logits, 2, rows, vocab, t, 1, nll2, lse2, null, null);
        close(nllW, nll2, 2e-5, "nll without gradient");
    }

    @Test
    void axpyAddsInPlace() {
        int n = 300;
        float[] x = rand(n + 2, 1), y = rand(n + 5, 1), want = y.clone();
        for (int i = 0; i < n; i++) want[3 + i] += -0.75f * x[2 + i];
        ClContext ctx = cl().ops().context();
        try (ClBuffer bx = ctx.upload(x); ClBuffer by = ctx.upload(y)) {
            cl().ops().axpy(-0.75f, bx, 2, by, 3, n);
            float[] got = new float[y.length];
            by.read(0, got, 0, y.length);
            close(want, got, 1e-6, "axpy");
        }
    }

    @Test
    void adamWMatchesTheFormula() {
        int n = 777;
        float[] p = rand(n + 3, 1), g = rand(n + 3, 1), m = rand(n + 3, 0.1f), v = rand(n + 3, 0.1f);
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
        float lr = 1e-3f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f;
        int step = 7;
        float[] pw = p.clone(), mw = m.clone(), vw = v.clone();
        for (int i = 3; i < n + 3; i++) {
            double pi = pw[i] * (1 - (double) lr * wd);
            double mi = b1 * (double) mw[i] + (1 - b1) * (double) g[i], vi = b2 * (double) vw[i] + (1 - b2) * (double) g[i] * g[i];
            mw[i] = (float) mi;
            vw[i] = (float) vi;
            pw[i] = (float) (pi - lr * (mi / (1 - Math.pow(b1, step))) / (Math.sqrt(vi / (1 - Math.pow(b2, step))) + eps));
        }
        ClContext ctx = cl().ops().context();
        try (ClBuffer bp = ctx.upload(p); ClBuffer bg = ctx.upload(g); ClBuffer bm = ctx.upload(m); ClBuffer bv = ctx.upload(v)) {
            cl().ops().adamW(bp, bg, bm, bv, 3, n, step, lr, b1, b2, eps, wd);
            float[] pg = new float[p.length], mg = new float[p.length], vg = new float[p.length];
            bp.read(0, pg, 0, p.length);
            bm.read(0, mg, 0, p.length);
            bv.read(0, vg, 0, p.length);
            close(pw, pg, 1e-5, "adamW p");
            close(mw, mg, 1e-5, "adamW m");
            close(vw, vg, 1e-5, "adamW v");
        }
    }

    @Test
    void adamWScalesTheGradient() {
        int n = 301;
        float[] p = rand(n, 1), g = rand(n, 5), m = rand(n, 0.1f), v = rand(n, 0.1f);
        for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]);
        float lr = 2e-3f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.05f, scale = 0.37f;
        float[] gs = new float[n];
        for (int i = 0; i < n; i++) gs[i] = g[i] * scale;
        ClContext ctx = cl().ops().context();
        try (ClBuffer bp = ctx.upload(p); ClBuffer bg = ctx.upload(g); ClBuffer bm = ctx.upload(m); ClBuffer bv = ctx.upload(v);
             ClBuffer rp = ctx.upload(p); ClBuffer rg = ctx.upload(gs); ClBuffer rm = ctx.upload(m); ClBuffer rv = ctx.upload(v)) {
            cl().ops().adamW(bp, bg, bm, bv, 0, n, 3, lr, b1, b2, eps, wd, scale);
            cl().ops().adamW(rp, rg, rm, rv, 0, n, 3, lr, b1, b2, eps, wd);
            float[] got = new float[n], want = new float[n], gAfter = new float[n];
            for (ClBuffer[] pair : new ClBuffer[][] {{bp, rp}, {bm, rm}, {bv, rv}}) {
                pair[0].read(0, got, 0, n);
                pair[1].read(0, want, 0, n);
                close(want, got, 1e-6, "adamW with gradScale");
            }
            bg.read(0, gAfter, 0, n);
            close(g, gAfter, 0, "gradient left unscaled");
        }
    }

    @Test
    void embeddingBackwardScatterAddsRepeatedIds() {
        int vocab = 37, dim = 45, count = 83, idsOff = 2, dyOff = 5;
        int[] ids = new int[idsOff + count];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(vocab / 3); // few distinct ids: many repeats
        float[] table = rand(vocab * dim, 1), dy = rand(dyOff + count * dim, 1);
        double[] want = new double[table.length];
        for (int i = 0; i < table.length; i++) want[i] = table[i];
        for (int t = 0; t < count; t++)
            for (int j = 0; j < dim; j++) want[ids[idsOff + t] * dim + j] += dy[dyOff + t * dim + j];
        float[] wantF = new float[want.length];
        for (int i = 0; i < want.length; i++) wantF[i] = (float) want[i];
        ClContext ctx = cl().ops().context();
        try (ClBuffer bt = ctx.upload(table); ClBuffer bi = ctx.upload(ids); ClBuffer bd = ctx.upload(dy)) {
            cl().ops().embeddingBackward(bt, vocab, dim, bi, idsOff, count, bd, dyOff);
            float[] got = new float[table.length];
            bt.read(0, got, 0, got.length);
            close(wantF, got, 1e-5, "embedding scatter-add");
        }
        // a scatter into a NaN-poisoned target touches exactly the listed rows
        int[] rows = {4, 0, 9};
        float[] target = nan(11 * dim), src = rand(3 * dim, 1);
        for (int r : rows) Arrays.fill(target, r * dim, (r + 1) * dim, 0f);
        float[] scattered = target.clone();
        for (int t = 0; t < 3; t++) System.arraycopy(src, t * dim, scattered, rows[t] * dim, dim);
        try (ClBuffer bt = ctx.upload(target); ClBuffer bi = ctx.upload(rows); ClBuffer bd = ctx.upload(src)) {
            cl().ops().embeddingBackward(bt, 11, dim, bi, 0, 3, bd, 0);
            float[] got = new float[target.length];
            bt.read(0, got, 0, got.length);
            close(scattered, got, 0, "row scatter");
        }
    }

    @Test
    void sumOfSquaresPartialsAddUpToTheSquaredNorm() {
        int parts = ClOps.SQUARE_PARTIALS;
        for (int n : new int[] {1, 255, 8191, 100_003}) {
            float[] x = rand(n + 7, 3);
            double want = 0;
            for (int i = 0; i < n; i++) want += (double) x[7 + i] * x[7 + i];
            ClContext ctx = cl().ops().context();
            try (ClBuffer bx = ctx.upload(x); ClBuffer out = ctx.upload(nan(parts + 3))) {
                cl().ops().sumOfSquares(bx, 7, n, out, 1);
                float[] got = new float[parts + 3];
                out.read(0, got, 0, got.length);
                double sum = 0;
                for (int i = 1; i <= parts; i++) sum += got[i];
                assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[parts + 1]) && Float.isNaN(got[parts + 2]), "wrote outside its slots (seed " + seed + ")");
                assertEquals(want, sum, 1e-5 * want, "n " + n + " (seed " + seed + ")");
            }
        }
    }

    // ---------------------------------------------------------------- attention

    private record Case(int tq, int tk, int heads, int kvHeads, int hd, boolean causal, boolean segments, int kShift) {}

    private static final Case[] CASES = {
        new Case(70, 70, 2, 2, 16, true, false, 0),
        new Case(65, 130, 4, 2, 24, false, false, 0),
        new Case(33, 97, 2, 1, 128, true, true, 50),   // queries after keys, as on a later ring hop
        new Case(129, 64, 3, 3, 40, true, false, -100), // keys after every query: rows see nothing
        new Case(5, 200, 8, 2, 64, false, true, 0),
    };

    private AttentionArgs args(Case c, float[] out, float[] lse) {
        int qOff = 3, kOff = 1, vOff = 2;
        float[] q = rand(qOff + c.tq * c.heads * c.hd, 1), k = rand(kOff + c.tk * c.kvHeads * c.hd, 1), v = rand(vOff + c.tk * c.kvHeads * c.hd, 1);
        int[] qPos = new int[c.tq], kPos = new int[c.tk];
        for (int i = 0; i < c.tq; i++) qPos[i] = c.kShift + i * c.tk / Math.max(1, c.tq);
        for (int j = 0; j < c.tk; j++) kPos[j] = j;
        int[] qSeg = null, kSeg = null;
        if (c.segments) {
            qSeg = new int[c.tq];
            kSeg = new int[c.tk];
            for (int j = 0; j < c.tk; j++) kSeg[j] = j / 23;
            for (int i = 0; i < c.tq; i++) qSeg[i] = Math.min(kSeg[c.tk - 1], Math.max(0, qPos[i]) / 23);
        }
        return new AttentionArgs(q, qOff, k, kOff, v, vOff, out, 4, lse, 1, c.tq, c.tk, c.heads, c.kvHeads, c.hd,
                qPos, kPos, qSeg, kSeg, c.causal, (float) (1 / Math.sqrt(c.hd)), 16, 32);
    }

    private static AttentionArgs withOut(AttentionArgs a, float[] out, float[] lse) {
        return new AttentionArgs(a.q(), a.qOff(), a.k(), a.kOff(), a.v(), a.vOff(), out, a.outOff(), lse, a.lseOff(),
                a.tokensQ(), a.tokensK(), a.heads(), a.kvHeads(), a.headDim(), a.qPos(), a.kPos(), a.qSeg(), a.kSeg(),
                a.causal(), a.scale(), a.blockQ(), a.blockK());
    }

    @Test
    void attentionForwardMatchesReference() {
        for (OpenClKernels cl : OpenClTestDevice.bothLayouts())
        for (Case c : CASES) {
            int no = 4 + c.tq * c.heads * c.hd + 2, nl = 1 + c.tq * c.heads + 2;
            AttentionArgs want = args(c, nan(no), nan(nl));
            AttentionArgs got = withOut(want, nan(no), nan(nl));
            ref.attentionForward(want);
            cl.attentionForward(got);
            close(want.out(), got.out(), 1e-4, cl.ops().layout() + " attention out " + c);
            close(want.lse(), got.lse(), 1e-4, cl.ops().layout() + " attention lse " + c);
        }
    }

    @Test
    void attentionBackwardMatchesReference() {
        for (Case c : CASES) {
            int nq = c.tq * c.heads * c.hd, nk = c.tk * c.kvHeads * c.hd;
            AttentionArgs a = args(c, nan(4 + nq + 2), nan(1 + c.tq * c.heads + 2));
            ref.attentionForward(a);
            float[] dOut = rand(nq, 1);
            float[] out0 = Arrays.copyOfRange(a.out(), 4, 4 + nq);
            float[] deltaW = nan(c.tq * c.heads), deltaG = nan(c.tq * c.heads);
            ref.attentionDelta(out0, dOut, deltaW, c.tq, c.heads, c.hd);
            cl().attentionDelta(out0, dOut, deltaG, c.tq, c.heads, c.hd);
            close(deltaW, deltaG, 2e-5, "attentionDelta " + c);
            // dq, dk, dv accumulate: start from random values
            float[] dqW = rand(nq, 1), dkW = rand(nk, 1), dvW = rand(nk, 1);
            float[] dqG = dqW.clone(), dkG = dkW.clone(), dvG = dvW.clone();
            ref.attentionBackward(a, dOut, deltaW, dqW, dkW, dvW);
            cl().attentionBackward(a, dOut, deltaW, dqG, dkG, dvG);
            close(dqW, dqG, 1e-4, "attention dq " + c);
            close(dkW, dkG, 1e-4, "attention dk " + c);
            close(dvW, dvG, 1e-4, "attention dv " + c);
        }
    }
}
