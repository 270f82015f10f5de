package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Blockwise (flash-style) attention on the CPU. A worker owns a (query block, head) pair in the forward
 * pass and keeps only blockQ x blockK scores, a running max and sum per row and the un-normalised output
 * block: memory is O(block), never O(tokensQ x tokensK). Key blocks that the causal or segment mask hides
 * entirely from the query block are skipped before any arithmetic, which halves causal work.
 *
 * <p>The backward pass recomputes probabilities from the saved log-sum-exp once per (query block, key block)
 * pair: (key block, kv head) tasks accumulate dK and dV over all query blocks of the group's heads and write
 * their share of dQ into a partial buffer of their own, summed afterwards in key-block order, so every output
 * element has one writer and the result does not depend on scheduling. When those partials would be too large
 * it runs as two sweeps instead, the second one (query block, head) tasks that recompute P for dQ.
 */
final class BlockAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    private BlockAttention() {}

    /** Per-worker buffers, grown on demand. */
    private static final class Scratch {
        float[] kt = new float[0], vt = new float[0], s = new float[0], dp = new float[0], acc = new float[0];
        float[] m = new float[0], l = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }

    /** Query-side summary of a block of rows: position range and, when all rows share one, the segment id. */
    private record Range(int posMin, int posMax, boolean oneSeg, int seg) {
        static Range of(int[] pos, int[] seg, int from, int to) {
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int i = from; i < to; i++) { lo = Math.min(lo, pos[i]); hi = Math.max(hi, pos[i]); }
            boolean one = true;
            int s0 = seg == null ? 0 : seg[from];
            if (seg != null) for (int i = from; i < to && one; i++) one = seg[i] == s0;
            return new Range(lo, hi, one, s0);
        }
    }

    /** 0 = every pair masked, 1 = some pairs masked (check each), 2 = every pair visible. */
    private static int blockVisibility(AttentionArgs a, Range q, Range k) {
        if (a.causal() && k.posMin > q.posMax) return 0;
        boolean segs = a.qSeg() == null;
        if (!segs && q.oneSeg && k.oneSeg) {
            if (q.seg != k.seg) return 0;
            segs = true;
        }
        boolean causalAll = !a.causal() || k.posMax <= q.posMin;
        return segs && causalAll ? 2 : 1;
    }

    /** Copies the head-kh rows [j0, j0+bk) of k (or v) transposed into dst[D, bkP], zero-padding columns to bkP. */
    private static void packTransposed(float[] src, int off, int Hk, int kh, int D, int j0, int bk, int bkP, float[] dst) {
        for (int jj = 0; jj < bk; jj++) {
            int so = off + ((j0 + jj) * Hk + kh) * D;
            for (int d = 0; d < D; d++) dst[d * bkP + jj] = src[so + d];
        }
        if (bkP > bk) for (int d = 0; d < D; d++) Arrays.fill(dst, d * bkP + bk, d * bkP + bkP, 0f);
    }

    // ------------------------------------------------------------------------------------------ forward

    static void forward(Parallel par, AttentionArgs a) {
        int qBlocks = (a.tokensQ() + a.blockQ() - 1) / a.blockQ();
        int H = a.heads();
        par.forEach(qBlocks * H, t -> forwardBlock(a, t / H, t % H));
    }

    private static void forwardBlock(AttentionArgs a, int qb, int h) {
        int H = a.heads(), Hk = a.kvHeads(), D = a.headDim(), kh = h / (H / Hk);
        int bq = a.blockQ(), bkMax = Math.min(a.blockK(), Math.max(1, a.tokensK()));
        int i0 = qb * bq, rows = Math.min(bq, a.tokensQ() - i0);
        int bkPMax = Gemm.roundUp(bkMax, V);
        Scratch s = SCRATCH.get();
        float[] kt = s.kt = grow(s.kt, D * bkPMax), sc = s.s = grow(s.s, rows * bkPMax), o = s.acc = grow(s.acc, rows * D);
        float[] m = s.m = grow(s.m, rows), l = s.l = grow(s.l, rows);
        Arrays.fill(o, 0, rows * D, 0f);
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        Range qr = Range.of(a.qPos(), a.qSeg(), i0, i0 + rows);
        int qRow0 = a.qOff() + (i0 * H + h) * D, qRs = H * D;
        float scale = a.scale();

        for (int j0 = 0; j0 < a.tokensK(); j0 += a.blockK()) {
            int bk = Math.min(a.blockK(), a.tokensK() - j0), bkP = Gemm.roundUp(bk, V);
            int vis = blockVisibility(a, qr, Range.of(a.kPos(), a.kSeg(), j0, j0 + bk));
            if (vis == 0) continue;
            packTransposed(a.k(), a.kOff(), Hk, kh, D, j0, bk, bkP, kt);
            Tile.mulAdd(a.q(), qRow0, qRs, 1, kt, 0, bkP, sc, 0, bkP, rows, D, bkP, false);
            for (int r = 0; r < rows; r++) {
                int so = r * bkP, i = i0 + r;
                if (vis == 2) {
                    for (int jj = 0; jj < bkP; jj += V) FloatVector.fromArray(S, sc, so + jj).mul(scale).intoArray(sc, so + jj);
                    for (int jj = bk; jj < bkP; jj++) sc[so + jj] = Float.NEGATIVE_INFINITY;
                } else {
                    for (int jj = 0; jj < bkP; jj++) {
                        boolean visible = jj < bk && ScalarKernels.visible(a, i, j0 + jj);
                        sc[so + jj] = visible ? sc[so + jj] * scale : Float.NEGATIVE_INFINITY;
                    }
                }
                float bm = max(sc, so, bkP);
                if (bm == Float.NEGATIVE_INFINITY) { // this row sees nothing here: contribute zeros
                    Arrays.fill(sc, so, so + bkP, 0f);
                    continue;
                }
                float mNew = Math.max(m[r], bm);
                float alpha = Lanes.exp(m[r] - mNew);
                float sum = expShift(sc, so, bkP, mNew);
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
                if (alpha != 1f) scale(o, r * D, D, alpha);
            }
            Tile.mulAdd(sc, 0, bkP, 1, a.v(), a.vOff() + (j0 * Hk + kh) * D, Hk * D, o, 0, D, rows, bk, D, true);
        }
        for (int r = 0; r < rows; r++) {
            int oo = a.outOff() + ((i0 + r) * H + h) * D;
            if (l[r] == 0f) {
                Arrays.fill(a.out(), oo, oo + D, 0f);
                a.lse()[a.lseOff() + (i0 + r) * H + h] = Float.NEGATIVE_INFINITY;
            } else {
                float inv = 1f / l[r];
                for (int d = 0; d < D; d++) a.out()[oo + d] = o[r * D + d] * inv;
                a.lse()[a.lseOff() + (i0 + r) * H + h] = (float) (m[r] + Math.log(l[r]));
            }
        }
    }

    private static float max(float[] x, int off, int n) {
        // n is a multiple of V here (padded block width)
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += V) mv = mv.max(FloatVector.fromArray(S, x, off + j));
        return mv.reduceLanes(VectorOperators.MAX);
    }

    /** x = exp(x - shift) in place over a padded row; returns the sum. */
    private static float expShift(float[] x, int off, int n, float shift) {
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j += V) {
            FloatVector e = Lanes.exp(FloatVector.fromArray(S, x, off + j).sub(shift));
            e.intoArray(x, off + j);
            sum = sum.add(e);
        }
        return Lanes.sum(sum);
    }

    private static void scale(float[] x, int off, int n, float f) {
        int j = 0;
        for (; j + V <= n; j += V) FloatVector.fromArray(S, x, off + j).mul(f).intoArray(x, off + j);
        for (; j < n; j++) x[off + j] *= f;
    }

    // ------------------------------------------------------------------------------------------ backward

    static void delta(Parallel par, float[] out, float[] dOut, float[] delta, int tokens, int heads, int D) {
        int n = tokens * heads;
        par.forRange(n, Math.max(1, 8192 / Math.max(1, D)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t * D, d = 0;
                FloatVector acc = FloatVector.zero(S);
                for (; d + V <= D; d += V) acc = FloatVector.fromArray(S, out, o + d).fma(FloatVector.fromArray(S, dOut, o + d), acc);
                float sum = Lanes.sum(acc);
                for (; d < D; d++) sum = Math.fma(out[o + d], dOut[o + d], sum);
                delta[t] = sum;
            }
        });
    }

    /** Largest dQ partial-sum buffer (floats) for which the backward runs as one sweep. */
    static final long ONE_SWEEP_FLOATS = 1L << 23;

    static void backward(Parallel par, AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        int kBlocks = (a.tokensK() + a.blockK() - 1) / a.blockK();
        int qBlocks = (a.tokensQ() + a.blockQ() - 1) / a.blockQ();
        int Hk = a.kvHeads(), H = a.heads();
        int rowsQ = a.tokensQ() * H * a.headDim();
        // one sweep only when its (key block, kv head) tasks keep every worker busy; the second sweep's
        // (query block, head) tasks are what parallelise a short key range
        boolean busy = kBlocks * Hk >= 2 * par.threads();
        if (busy && (long) kBlocks * rowsQ <= ONE_SWEEP_FLOATS) {
            // One sweep: each (key block, kv head) task also adds dS K into its key block's own dQ partial, so P and
            // dS are computed once instead of once per sweep; the partials are summed in key-block order afterwards
            // (deterministic, one writer per element). A single key block owns every dQ row: it adds to dq itself.
            float[] part = kBlocks == 1 ? dq : new float[kBlocks * rowsQ];
            par.forEach(kBlocks * Hk, t -> backwardKV(a, dOut, delta, dk, dv, t / Hk, t % Hk, part, (t / Hk) * rowsQ));
            if (kBlocks > 1)
                par.forRange(rowsQ, 4096, (i0, i1) -> {
                    for (int kb = 0; kb < kBlocks; kb++) {
                        int o = kb * rowsQ;
                        for (int i = i0; i < i1; i++) dq[i] += part[o + i];
                    }
                });
            return;
        }
        // Two sweeps when the partials would be too large: (key block, kv head) tasks accumulate dK and dV, then
        // (query block, head) tasks accumulate dQ, each recomputing P and dS.
        par.forEach(kBlocks * Hk, t -> backwardKV(a, dOut, delta, dk, dv, t / Hk, t % Hk, null, 0));
        par.forEach(qBlocks * H, t -> backwardQ(a, dOut, delta, dq, t / H, t % H));
    }

    /**
     * Probabilities and dS for one (query block, key block, head): on return sc holds P and dp holds
     * dS = P * (dP - delta) * scale, both [rows, bkP] with zero padding and zeros where masked. Returns
     * false when nothing in the block is visible.
     */
    private static boolean probabilities(AttentionArgs a, float[] dOut, float[] delta, int i0, int rows, int h, int kh, int j0, int bk,
                                         int bkP, int vis, float[] kt, float[] vt, float[] sc, float[] dp) {
        int H = a.heads(), D = a.headDim();
        float scale = a.scale();
        Tile.mulAdd(a.q(), a.qOff() + (i0 * H + h) * D, H * D, 1, kt, 0, bkP, sc, 0, bkP, rows, D, bkP, false);
        Tile.mulAdd(dOut, (i0 * H + h) * D, H * D, 1, vt, 0, bkP, dp, 0, bkP, rows, D, bkP, false);
        boolean any = false;
        for (int r = 0; r < rows; r++) {
            int i = i0 + r, so = r * bkP;
            float lse = a.lse()[a.lseOff() + i * H + h];
            if (lse == Float.NEGATIVE_INFINITY) {
                Arrays.fill(sc, so, so + bkP, 0f);
                Arrays.fill(dp, so, so + bkP, 0f);
                continue;
            }
            // hidden scores become -inf so that exp gives exactly 0 (padding columns too)
            if (vis == 2) {
                for (int jj = bk; jj < bkP; jj++) sc[so + jj] = Float.NEGATIVE_INFINITY;
                any = true;
            } else {
                for (int jj = 0; jj < bkP; jj++) {
                    if (jj < bk && ScalarKernels.visible(a, i, j0 + jj)) any = true;
                    else sc[so + jj] = Float.NEGATIVE_INFINITY;
                }
            }
            float di = delta[i * H + h];
            for (int jj = 0; jj < bkP; jj += V) {
                FloatVector p = Lanes.exp(FloatVector.fromArray(S, sc, so + jj).fma(scale, -lse));
                p.intoArray(sc, so + jj);
                p.mul(FloatVector.fromArray(S, dp, so + jj).sub(di)).mul(scale).intoArray(dp, so + jj);
            }
        }
        return any;
    }

    /**
     * dK and dV of key block kb for kv head kh; with {@code dqOut} non-null also this key block's share of dQ,
     * added at {@code dqOut[dqOff + (i * H + h) * D + d]}.
     */
    private static void backwardKV(AttentionArgs a, float[] dOut, float[] delta, float[] dk, float[] dv, int kb, int kh,
                                   float[] dqOut, int dqOff) {
        int H = a.heads(), Hk = a.kvHeads(), D = a.headDim(), group = H / Hk;
        int j0 = kb * a.blockK(), bk = Math.min(a.blockK(), a.tokensK() - j0), bkP = Gemm.roundUp(bk, V);
        int bq = Math.min(a.blockQ(), Math.max(1, a.tokensQ()));
        Scratch s = SCRATCH.get();
        float[] kt = s.kt = grow(s.kt, D * bkP), vt = s.vt = grow(s.vt, D * bkP);
        float[] sc = s.s = grow(s.s, bq * bkP), dp = s.dp = grow(s.dp, bq * bkP);
        float[] acc = s.acc = grow(s.acc, 2 * bk * D); // dK block then dV block
        Arrays.fill(acc, 0, 2 * bk * D, 0f);
        Range kr = Range.of(a.kPos(), a.kSeg(), j0, j0 + bk);
        packTransposed(a.k(), a.kOff(), Hk, kh, D, j0, bk, bkP, kt);
        packTransposed(a.v(), a.vOff(), Hk, kh, D, j0, bk, bkP, vt);
        for (int i0 = 0; i0 < a.tokensQ(); i0 += a.blockQ()) {
            int rows = Math.min(a.blockQ(), a.tokensQ() - i0);
            int vis = blockVisibility(a, Range.of(a.qPos(), a.qSeg(), i0, i0 + rows), kr);
            if (vis == 0) continue;
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                if (!probabilities(a, dOut, delta, i0, rows, h, kh, j0, bk, bkP, vis, kt, vt, sc, dp)) continue;
                // dV[j,:] += sum_i P[i,j] dO[i,:];  dK[j,:] += sum_i dS[i,j] Q[i,:]  (P^T and dS^T read with swapped strides)
                Tile.mulAdd(sc, 0, 1, bkP, dOut, (i0 * H + h) * D, H * D, acc, bk * D, D, bk, rows, D, true);
                Tile.mulAdd(dp, 0, 1, bkP, a.q(), a.qOff() + (i0 * H + h) * D, H * D, acc, 0, D, bk, rows, D, true);
                // dQ[i,:] += sum_j dS[i,j] K[j,:]
                if (dqOut != null)
                    Tile.mulAdd(dp, 0, bkP, 1, a.k(), a.kOff() + (j0 * Hk + kh) * D, Hk * D, dqOut, dqOff + (i0 * H + h) * D, H * D, rows, bk, D, true);
            }
        }
        for (int jj = 0; jj < bk; jj++) {
            int o = ((j0 + jj) * Hk + kh) * D;
            for (int d = 0; d < D; d++) {
                dk[o + d] += acc[jj * D + d];
                dv[o + d] += acc[bk * D + jj * D + d];
            }
        }
    }

    private static void backwardQ(AttentionArgs a, float[] dOut, float[] delta, float[] dq, int qb, int h) {
        int H = a.heads(), Hk = a.kvHeads(), D = a.headDim(), kh = h / (H / Hk);
        int i0 = qb * a.blockQ(), rows = Math.min(a.blockQ(), a.tokensQ() - i0);
        int bkPMax = Gemm.roundUp(Math.min(a.blockK(), Math.max(1, a.tokensK())), V);
        Scratch s = SCRATCH.get();
        float[] kt = s.kt = grow(s.kt, D * bkPMax), vt = s.vt = grow(s.vt, D * bkPMax);
        float[] sc = s.s = grow(s.s, rows * bkPMax), dp = s.dp = grow(s.dp, rows * bkPMax);
        float[] acc = s.acc = grow(s.acc, rows * D);
        Arrays.fill(acc, 0, rows * D, 0f);
        Range qr = Range.of(a.qPos(), a.qSeg(), i0, i0 + rows);
        for (int j0 = 0; j0 < a.tokensK(); j0 += a.blockK()) {
            int bk = Math.min(a.blockK(), a.tokensK() - j0), bkP = Gemm.roundUp(bk, V);
            int vis = blockVisibility(a, qr, Range.of(a.kPos(), a.kSeg(), j0, j0 + bk));
            if (vis == 0) continue;
            packTransposed(a.k(), a.kOff(), Hk, kh, D, j0, bk, bkP, kt);
            packTransposed(a.v(), a.vOff(), Hk, kh, D, j0, bk, bkP, vt);
            if (!probabilities(a, dOut, delta, i0, rows, h, kh, j0, bk, bkP, vis, kt, vt, sc, dp)) continue;
            // dQ[i,:] += sum_j dS[i,j] K[j,:]
            Tile.mulAdd(dp, 0, bkP, 1, a.k(), a.kOff() + (j0 * Hk + kh) * D, Hk * D, acc, 0, D, rows, bk, D, true);
        }
        for (int r = 0; r < rows; r++) {
            int o = ((i0 + r) * H + h) * D;
            for (int d = 0; d < D; d++) dq[o + d] += acc[r * D + d];
        }
    }
}
