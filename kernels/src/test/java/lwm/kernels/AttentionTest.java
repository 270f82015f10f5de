package lwm.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static lwm.kernels.Check.close;
import static lwm.kernels.Check.nans;
import static lwm.kernels.Check.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blockwise attention (scalar reference and Vector API backend) against a plain softmax(QK^T)V written
 * here in double with the whole score row in memory, for causal, non-causal, packed (segment ids), GQA,
 * ring-style offsets with fully masked rows, and block sizes that do not divide the lengths. The plain
 * backward is itself checked against central finite differences in double.
 *
 * <p>Tolerances: forward 1e-5 relative (see {@link Check}); backward 1e-4, because dS = P (dP - delta)
 * subtracts two f32 sums of similar size and the gradients then sum over every visible key.
 */
class AttentionTest {
    static final ScalarKernels ref = new ScalarKernels();
    static VectorKernels vec;

    @BeforeAll
    static void start() { vec = new VectorKernels(2); }

    @AfterAll
    static void stop() { vec.close(); }

    /** One random problem; offsets make every array start somewhere other than 0. */
    record Case(String name, int tq, int tk, int heads, int kvHeads, int dim, int[] qPos, int[] kPos, int[] qSeg, int[] kSeg,
                boolean causal, int blockQ, int blockK) {}

    static final int QO = 3, KO = 5, VO = 7, OO = 2, LO = 1;

    static float[][] inputs(SplittableRandom r, Case c) {
        float[] q = random(r, QO + c.tq * c.heads * c.dim, 2), k = random(r, KO + c.tk * c.kvHeads * c.dim, 2);
        float[] v = random(r, VO + c.tk * c.kvHeads * c.dim);
        return new float[][]{q, k, v};
    }

    static AttentionArgs args(Case c, float[][] in, float[] out, float[] lse) {
        return new AttentionArgs(in[0], QO, in[1], KO, in[2], VO, out, OO, lse, LO, c.tq, c.tk, c.heads, c.kvHeads, c.dim,
                c.qPos, c.kPos, c.qSeg, c.kSeg, c.causal, (float) (1 / Math.sqrt(c.dim)), c.blockQ, c.blockK);
    }

    static boolean visible(Case c, int i, int j) {
        return (!c.causal || c.kPos[j] <= c.qPos[i]) && (c.qSeg == null || c.qSeg[i] == c.kSeg[j]);
    }

    /** Plain attention in double: out [tq, H, D] and lse [tq, H]. */
    static double[][] plainForward(Case c, double[] q, double[] k, double[] v) {
        int H = c.heads, D = c.dim, Hk = c.kvHeads, g = H / Hk;
        double scale = 1 / Math.sqrt(D);
        double[] out = new double[c.tq * H * D], lse = new double[c.tq * H];
        double[] s = new double[c.tk];
        for (int i = 0; i < c.tq; i++)
            for (int h = 0; h < H; h++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c.tk; j++) {
                    s[j] = Double.NEGATIVE_INFINITY;
                    if (!visible(c, i, j)) continue;
                    double d = 0;
                    for (int e = 0; e < D; e++) d += q[(i * H + h) * D + e] * k[(j * Hk + h / g) * D + e];
                    s[j] = d * scale;
                    m = Math.max(m, s[j]);
                }
                if (m == Double.NEGATIVE_INFINITY) { lse[i * H + h] = Double.NEGATIVE_INFINITY; continue; }
                double l = 0;
                for (int j = 0; j < c.tk; j++) l += Math.exp(s[j] - m);
                for (int j = 0; j < c.tk; j++) {
                    double p = Math.exp(s[j] - m) / l;
                    for (int e = 0; e < D; e++) out[(i * H + h) * D + e] += p * v[(j * Hk + h / g) * D + e];
                }
                lse[i * H + h] = m + Math.log(l);
            }
        return new double[][]{out, lse};
    }

    /** Plain backward in double from the full probability row: returns dq, dk, dv. */
    static double[][] plainBackward(Case c, double[] q, double[] k, double[] v, double[] dOut) {
        int H = c.heads, D = c.dim, Hk = c.kvHeads, g = H / Hk;
        double scale = 1 / Math.sqrt(D);
        double[][] f = plainForward(c, q, k, v);
        double[] out = f[0], lse = f[1];
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        for (int i = 0; i < c.tq; i++)
            for (int h = 0; h < H; h++) {
                if (lse[i * H + h] == Double.NEGATIVE_INFINITY) continue;
                int qo = (i * H + h) * D;
                double delta = 0;
                for (int e = 0; e < D; e++) delta += dOut[qo + e] * out[qo + e];
                for (int j = 0; j < c.tk; j++) {
                    if (!visible(c, i, j)) continue;
                    int ko = (j * Hk + h / g) * D;
                    double s = 0, dp = 0;
                    for (int e = 0; e < D; e++) { s += q[qo + e] * k[ko + e]; dp += dOut[qo + e] * v[ko + e]; }
                    double p = Math.exp(s * scale - lse[i * H + h]);
                    double ds = p * (dp - delta);
                    for (int e = 0; e < D; e++) {
                        dv[ko + e] += p * dOut[qo + e];
                        dq[qo + e] += scale * ds * k[ko + e];
                        dk[ko + e] += scale * ds * q[qo + e];
                    }
                }
            }
        return new double[][]{dq, dk, dv};
    }

    static double[] widen(float[] a, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[off + i];
        return d;
    }

    static int[] iota(int n, int from) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    /** Packed sequences: consecutive runs of random length, positions restarting in each. */
    static int[][] packed(SplittableRandom r, int n) {
        int[] seg = new int[n], pos = new int[n];
        int s = 0, p = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0 && r.nextInt(12) == 0) { s++; p = 0; }
            seg[i] = s;
            pos[i] = p++;
        }
        return new int[][]{seg, pos};
    }

    static Case[] cases(SplittableRandom r) {
        int[][] pk = packed(r, 131);
        int[] shuffledPos = iota(67, 0);
        for (int i = shuffledPos.length - 1; i > 0; i--) { int j = r.nextInt(i + 1), t = shuffledPos[i]; shuffledPos[i] = shuffledPos[j]; shuffledPos[j] = t; }
        return new Case[]{
                new Case("causal", 67, 67, 4, 4, 17, iota(67, 0), iota(67, 0), null, null, true, 16, 20),
                new Case("non-causal", 33, 131, 2, 2, 64, iota(33, 0), iota(131, 0), null, null, false, 32, 64),
                new Case("packed", 131, 131, 2, 1, 16, pk[1], pk[1], pk[0], pk[0], true, 17, 23),
                new Case("packed non-causal", 131, 131, 1, 1, 8, pk[1], pk[1], pk[0], pk[0], false, 32, 32),
                new Case("gqa", 67, 67, 8, 2, 64, iota(67, 0), iota(67, 0), null, null, true, 32, 16),
                // a later ring hop: keys from positions 50.., so the first 50 query rows see nothing (lse -inf, out 0)
                new Case("ring hop", 67, 60, 2, 1, 32, iota(67, 0), iota(60, 50), null, null, true, 8, 13),
                new Case("zigzag positions", 67, 67, 3, 3, 20, shuffledPos, shuffledPos, null, null, true, 9, 11),
                new Case("decode", 1, 131, 4, 2, 64, new int[]{130}, iota(131, 0), null, null, true, 1, 32),
                new Case("one block", 3, 17, 1, 1, 3, iota(3, 14), iota(17, 0), null, null, true, 64, 64),
                new Case("llama head size", 40, 40, 2, 2, 128, iota(40, 0), iota(40, 0), null, null, true, 16, 24),
                // every key in one block, enough kv heads to keep the workers busy: dQ written by the kv-head tasks
                new Case("one key block", 45, 40, 8, 4, 16, iota(45, 0), iota(40, 0), null, null, true, 16, 64),
        };
    }

    @Test
    void forwardEqualsPlainSoftmax() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (Case c : cases(r)) {
            float[][] in = inputs(r, c);
            double[][] want = plainForward(c, widen(in[0], QO, c.tq * c.heads * c.dim), widen(in[1], KO, c.tk * c.kvHeads * c.dim),
                    widen(in[2], VO, c.tk * c.kvHeads * c.dim));
            float[] wantOut = new float[want[0].length], wantLse = new float[want[1].length];
            for (int i = 0; i < wantOut.length; i++) wantOut[i] = (float) want[0][i];
            for (int i = 0; i < wantLse.length; i++) wantLse[i] = (float) want[1][i];
            for (Kernels kn : new Kernels[]{ref, vec}) {
                float[] out = nans(OO + wantOut.length), lse = nans(LO + wantLse.length);
                kn.attentionForward(args(c, in, out, lse));
                close(kn.name() + " " + c.name + " out", seed, wantOut, 0, out, OO, wantOut.length, 1e-5);
                close(kn.name() + " " + c.name + " lse", seed, wantLse, 0, lse, LO, wantLse.length, 1e-5);
            }
        }
    }

    @Test
    void ringHopRowsThatSeeNothingAreZeroWithMinusInfinityLse() {
        SplittableRandom r = new SplittableRandom(Check.seed());
        Case c = new Case("ring hop", 10, 10, 1, 1, 4, iota(10, 0), iota(10, 5), null, null, true, 4, 4);
        float[][] in = inputs(r, c);
        float[] out = nans(OO + 40), lse = nans(LO + 10);
        vec.attentionForward(args(c, in, out, lse));
        for (int i = 0; i < 5; i++) {
            assertEquals(Float.NEGATIVE_INFINITY, lse[LO + i]);
            for (int d = 0; d < 4; d++) assertEquals(0f, out[OO + i * 4 + d]);
        }
        for (int i = 5; i < 10; i++) assertTrue(Float.isFinite(lse[LO + i]));
    }

    /** Blockwise == one block: the block sizes change the order of the sums, not the result. */
    @Test
    void blockSizesDoNotChangeTheResult() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        Case base = new Case("base", 100, 100, 2, 2, 32, iota(100, 0), iota(100, 0), null, null, true, 128, 128);
        float[][] in = inputs(r, base);
        float[] out0 = nans(OO + 6400), lse0 = nans(LO + 200);
        vec.attentionForward(args(base, in, out0, lse0));
        for (int[] b : new int[][]{{1, 1}, {7, 3}, {16, 100}, {100, 16}, {33, 65}}) {
            Case c = new Case("b", 100, 100, 2, 2, 32, base.qPos, base.kPos, null, null, true, b[0], b[1]);
            float[] out = nans(OO + 6400), lse = nans(LO + 200);
            vec.attentionForward(args(c, in, out, lse));
            close("blocks " + Arrays.toString(b) + " out", seed, out0, out, 1e-5);
            close("blocks " + Arrays.toString(b) + " lse", seed, lse0, lse, 1e-5);
        }
    }

    @Test
    void backwardEqualsPlainBackward() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (Case c : cases(r)) {
            float[][] in = inputs(r, c);
            int nq = c.tq * c.heads * c.dim, nk = c.tk * c.kvHeads * c.dim;
            float[] dOut = random(r, nq);
            double[][] want = plainBackward(c, widen(in[0], QO, nq), widen(in[1], KO, nk), widen(in[2], VO, nk), widen(dOut, 0, nq));
            // gradients accumulate: start from random values and expect them added to
            float[] dq0 = random(r, nq), dk0 = random(r, nk), dv0 = random(r, nk);
            float[][] expect = new float[3][];
            float[][] init = {dq0, dk0, dv0};
            for (int g = 0; g < 3; g++) {
                expect[g] = new float[want[g].length];
                for (int i = 0; i < expect[g].length; i++) expect[g][i] = (float) (init[g][i] + want[g][i]);
            }
            for (Kernels kn : new Kernels[]{ref, vec}) {
                float[] out = nans(OO + nq), lse = nans(LO + c.tq * c.heads), delta = nans(c.tq * c.heads);
                AttentionArgs a = args(c, in, out, lse);
                kn.attentionForward(a);
                kn.attentionDelta(Arrays.copyOfRange(out, OO, OO + nq), dOut, delta, c.tq, c.heads, c.dim);
                float[] dq = dq0.clone(), dk = dk0.clone(), dv = dv0.clone();
                kn.attentionBackward(a, dOut, delta, dq, dk, dv);
                close(kn.name() + " " + c.name + " dq", seed, expect[0], dq, 1e-4);
                close(kn.name() + " " + c.name + " dk", seed, expect[1], dk, 1e-4);
                close(kn.name() + " " + c.name + " dv", seed, expect[2], dv, 1e-4);
            }
        }
    }

    /** The plain backward is the gradient of L = sum(dOut * out): central differences in double agree. */
    @Test
    void plainBackwardMatchesFiniteDifferences() {
        long seed = Check.seed();
        SplittableRandom r = new SplittableRandom(seed);
        int[][] pk = packed(r, 13);
        for (Case c : new Case[]{
                new Case("gqa causal", 9, 9, 4, 2, 5, iota(9, 0), iota(9, 0), null, null, true, 4, 4),
                new Case("packed", 13, 13, 2, 1, 4, pk[1], pk[1], pk[0], pk[0], true, 4, 4),
                new Case("ring hop", 6, 7, 2, 2, 3, iota(6, 3), iota(7, 0), null, null, true, 4, 4)}) {
            int nq = c.tq * c.heads * c.dim, nk = c.tk * c.kvHeads * c.dim;
            double[] q = new double[nq], k = new double[nk], v = new double[nk], dOut = new double[nq];
            for (double[] x : new double[][]{q, k, v, dOut}) for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() * 2 - 1;
            double[][] grads = plainBackward(c, q, k, v, dOut);
            double[][] params = {q, k, v};
            for (int p = 0; p < 3; p++)
                for (int i = 0; i < params[p].length; i++) {
                    double keep = params[p][i], h = 1e-6;
                    params[p][i] = keep + h;
                    double up = loss(c, q, k, v, dOut);
                    params[p][i] = keep - h;
                    double down = loss(c, q, k, v, dOut);
                    params[p][i] = keep;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grads[p][i], 1e-7 + 1e-6 * Math.abs(fd),
                            c.name + " param " + "qkv".charAt(p) + "[" + i + "] (seed " + seed + "L)");
                }
        }
    }

    static double loss(Case c, double[] q, double[] k, double[] v, double[] dOut) {
        double[] out = plainForward(c, q, k, v)[0];
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * dOut[i];
        return s;
    }
}
