package lwm.ring;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.ScalarKernels;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.TokenPartition;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One attention problem (random q, k, v, dOut over a global row, optionally packed) with its
 * single-rank blockwise reference (ScalarKernels), and the comparison of sharded results gathered
 * back into global order.
 */
final class AttentionCase {
    static final Kernels SCALAR = new ScalarKernels();

    final int s, heads, kvHeads, dim;
    final boolean causal, packed;
    final float[] q, k, v, dOut;
    final int[] pos, seg;
    // reference
    final float[] out, lse, dq, dk, dv;
    // gathered distributed results
    final float[] gOut, gLse, gDq, gDk, gDv;

    AttentionCase(long seed, int s, int heads, int kvHeads, int dim, boolean causal, boolean packed) {
        this(seed, s, heads, kvHeads, dim, causal, packed, 1f);
    }

    /** qScale multiplies the queries: large values stress the log-sum-exp merge. */
    AttentionCase(long seed, int s, int heads, int kvHeads, int dim, boolean causal, boolean packed, float qScale) {
        this.s = s; this.heads = heads; this.kvHeads = kvHeads; this.dim = dim; this.causal = causal; this.packed = packed;
        SplittableRandom rnd = new SplittableRandom(seed);
        q = gaussian(rnd, s * heads * dim);
        for (int i = 0; i < q.length; i++) q[i] *= qScale;
        k = gaussian(rnd, s * kvHeads * dim);
        v = gaussian(rnd, s * kvHeads * dim);
        dOut = gaussian(rnd, s * heads * dim);
        pos = new int[s];
        if (packed) {
            // three sequences of different lengths, positions restart per sequence, arbitrary ids
            seg = new int[s];
            int a = 1 + rnd.nextInt(s / 3), b = a + 1 + rnd.nextInt(s / 3);
            int[] ids = {7, 3, 11};
            for (int t = 0; t < s; t++) {
                int which = t < a ? 0 : t < b ? 1 : 2;
                seg[t] = ids[which];
                pos[t] = t - (which == 0 ? 0 : which == 1 ? a : b);
            }
        } else {
            seg = null;
            for (int t = 0; t < s; t++) pos[t] = t;
        }
        out = new float[s * heads * dim];
        lse = new float[s * heads];
        SCALAR.attentionForward(args(q, k, v, out, lse, s, s, pos, pos, seg, seg));
        float[] delta = new float[s * heads];
        SCALAR.attentionDelta(out, dOut, delta, s, heads, dim);
        dq = new float[s * heads * dim];
        dk = new float[s * kvHeads * dim];
        dv = new float[s * kvHeads * dim];
        SCALAR.attentionBackward(args(q, k, v, out, lse, s, s, pos, pos, seg, seg), dOut, delta, dq, dk, dv);
        gOut = nan(out.length); gLse = nan(lse.length); gDq = nan(dq.length); gDk = nan(dk.length); gDv = nan(dv.length);
    }

    AttentionArgs args(float[] q, float[] k, float[] v, float[] out, float[] lse, int tq, int tk, int[] qPos, int[] kPos, int[] qSeg, int[] kSeg) {
        return new AttentionArgs(q, 0, k, 0, v, 0, out, 0, lse, 0, tq, tk, heads, kvHeads, dim, qPos, kPos, qSeg, kSeg,
                causal, (float) (1 / Math.sqrt(dim)), 8, 8);
    }

    /** Which global tokens a rank holds under {@code layout} (per sequence when packed). */
    int[] tokens(TokenPartition layout) {
        return packed && layout instanceof SequenceLayout sl ? sl.localTokens(seg) : layout.localTokens(s);
    }

    /** Runs forward and backward of {@code op} on this rank's shard and stores the results in global order. */
    void runShard(AttentionOp op, int[] idx) {
        int n = idx.length, hd = heads * dim, kd = kvHeads * dim;
        float[] lq = SequenceLayout.take(q, idx, hd), lk = SequenceLayout.take(k, idx, kd), lv = SequenceLayout.take(v, idx, kd);
        int[] lpos = SequenceLayout.take(pos, idx), lseg = seg == null ? null : SequenceLayout.take(seg, idx);
        float[] lout = nan(n * hd), llse = nan(n * heads);
        AttentionArgs a = args(lq, lk, lv, lout, llse, n, n, lpos, lpos, lseg, lseg);
        op.forward(a);
        float[] ldo = SequenceLayout.take(dOut, idx, hd), delta = new float[n * heads];
        SCALAR.attentionDelta(lout, ldo, delta, n, heads, dim);
        float[] ldq = new float[n * hd], ldk = new float[n * kd], ldv = new float[n * kd];
        op.backward(a, ldo, delta, ldq, ldk, ldv);
        synchronized (this) {
            SequenceLayout.put(lout, idx, hd, gOut);
            SequenceLayout.put(llse, idx, heads, gLse);
            SequenceLayout.put(ldq, idx, hd, gDq);
            SequenceLayout.put(ldk, idx, kd, gDk);
            SequenceLayout.put(ldv, idx, kd, gDv);
        }
    }

    /** Max |a - ref| / max |ref| over every output and gradient, each must stay within tol. */
    void assertMatches(double tol, String what) {
        check("out", gOut, out, tol, what);
        check("lse", gLse, lse, tol, what);
        check("dq", gDq, dq, tol, what);
        check("dk", gDk, dk, tol, what);
        check("dv", gDv, dv, tol, what);
    }

    static double relErr(float[] got, float[] ref) {
        double scale = 0, err = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isInfinite(ref[i])) {
                if (got[i] != ref[i]) return Double.POSITIVE_INFINITY;
                continue;
            }
            if (Float.isNaN(got[i])) return Double.NaN;
            scale = Math.max(scale, Math.abs(ref[i]));
            err = Math.max(err, Math.abs(got[i] - ref[i]));
        }
        return err / Math.max(scale, 1e-30);
    }

    private static void check(String name, float[] got, float[] ref, double tol, String what) {
        double e = relErr(got, ref);
        if (!(e <= tol)) fail(what + ": " + name + " relative error " + e + " > " + tol);
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1) * 1.5f;
        return a;
    }

    static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    @Override public String toString() {
        return "S=" + s + " H=" + heads + " Hkv=" + kvHeads + " d=" + dim + (causal ? " causal" : " full") + (packed ? " packed" : "");
    }
}
