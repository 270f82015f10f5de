package lwm.kernels.opencl;

/**
 * Attention backward, the dQ half: one work-group per (block of 64 queries, head) walks the key blocks,
 * recomputes S = Q.K^T and dP = dO.V^T in register tiles (same staging as the forward kernel), forms
 * P = exp(scale*S - lse) and dS = P * (dP - delta) * scale, and accumulates dQ += dS.K. Each dQ row is
 * owned by exactly one work-group, so no atomics are needed; dK and dV come from
 * {@link AttentionBackwardKvKernel}. dq ACCUMULATES (the ring adds the contribution of each hop).
 */
public final class AttentionBackwardQKernel extends ClKernel {
    static final int B = 64, DC = 32, VC = 16, LDS = 65;

    public float[] q, k, v, lse, dOut, delta, dq;
    public int[] qPos, kPos, qSeg, kSeg;
    public int qOff, kOff, vOff, lseOff, tokensQ, tokensK, heads, kvHeads, headDim, causal, useSeg;
    public float scale;

    @Local float[] qs = new float[DC * LDS];
    @Local float[] kv = new float[DC * LDS];
    @Local float[] ps = new float[B * LDS];
    @Local int[] flag = new int[3];

    @PrivateMemorySpace(16) float[] s = new float[16];
    @PrivateMemorySpace(16) float[] dp = new float[16];
    @PrivateMemorySpace(32) float[] o = new float[32];
    @PrivateMemorySpace(4) float[] lr = new float[4];
    @PrivateMemorySpace(4) float[] dr = new float[4];
    @PrivateMemorySpace(4) int[] qp = new int[4];
    @PrivateMemorySpace(4) int[] qg = new int[4];
    @PrivateMemorySpace(4) int[] kp = new int[4];
    @PrivateMemorySpace(4) int[] kg = new int[4];
    @PrivateMemorySpace(4) float[] ra = new float[4];
    @PrivateMemorySpace(8) float[] rb = new float[8];

    @Override
    public void run() {
        int tx = getLocalId(0), ty = getLocalId(1), tid = ty * 16 + tx;
        int q0 = getGroupId(0) * B, h = getGroupId(1), kh = h / (heads / kvHeads);
        for (int i = 0; i < 4; i++) {
            int gi = q0 + ty + 16 * i;
            lr[i] = gi < tokensQ ? lse[lseOff + gi * heads + h] : -INF;
            // a row that saw no key in the forward pass (lse = -inf) gets no gradient
            qp[i] = gi < tokensQ && lr[i] != -INF ? qPos[gi] : -1;
            qg[i] = gi < tokensQ && useSeg != 0 ? qSeg[gi] : 0;
            dr[i] = gi < tokensQ ? delta[gi * heads + h] : 0f;
        }
        for (int i = 0; i < 32; i++) o[i] = 0f;
        if (tid < 3) flag[tid] = 0;
        localBarrier();
        for (int j0 = 0; j0 < tokensK; j0 += B) {
            int blk = j0 / B;
            int any = 0;
            for (int j = 0; j < 4; j++) {
                int gj = j0 + tx + 16 * j;
                kp[j] = gj < tokensK ? kPos[gj] : 0x7fffffff;
                kg[j] = gj < tokensK && useSeg != 0 ? kSeg[gj] : 0;
                for (int i = 0; i < 4; i++)
                    if (gj < tokensK && qp[i] >= 0 && (causal == 0 || kp[j] <= qp[i]) && qg[i] == kg[j]) any = 1;
            }
            if (tid == 0) flag[(blk + 1) % 3] = 0;
            if (any != 0) flag[blk % 3] = 1;
            localBarrier();
            if (flag[blk % 3] != 0) {
                for (int i = 0; i < 16; i++) {
                    s[i] = 0f;
                    dp[i] = 0f;
                }
                for (int d0 = 0; d0 < headDim; d0 += DC) {
                    for (int l = 0; l < 8; l++) {
                        int dd = tid & 31, r = (tid >> 5) + 8 * l;
                        int gi = q0 + r, gj = j0 + r, d = d0 + dd;
                        qs[dd * LDS + r] = gi < tokensQ && d < headDim ? q[qOff + (gi * heads + h) * headDim + d] : 0f;
                        kv[dd * LDS + r] = gj < tokensK && d < headDim ? k[kOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                    }
                    localBarrier();
                    for (int dd = 0; dd < 32; dd++) {
                        for (int i = 0; i < 4; i++) ra[i] = qs[dd * LDS + ty + 16 * i];
                        for (int j = 0; j < 4; j++) rb[j] = kv[dd * LDS + tx + 16 * j];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) s[i * 4 + j] += ra[i] * rb[j];
                    }
                    localBarrier();
                    for (int l = 0; l < 8; l++) {
                        int dd = tid & 31, r = (tid >> 5) + 8 * l;
                        int gi = q0 + r, gj = j0 + r, d = d0 + dd;
                        qs[dd * LDS + r] = gi < tokensQ && d < headDim ? dOut[(gi * heads + h) * headDim + d] : 0f;
                        kv[dd * LDS + r] = gj < tokensK && d < headDim ? v[vOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                    }
                    localBarrier();
                    for (int dd = 0; dd < 32; dd++) {
                        for (int i = 0; i < 4; i++) ra[i] = qs[dd * LDS + ty + 16 * i];
                        for (int j = 0; j < 4; j++) rb[j] = kv[dd * LDS + tx + 16 * j];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) dp[i * 4 + j] += ra[i] * rb[j];
                    }
                    localBarrier();
                }
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) {
                        int gj = j0 + tx + 16 * j;
                        boolean vis = gj < tokensK && qp[i] >= 0 && (causal == 0 || kp[j] <= qp[i]) && qg[i] == kg[j];
                        float p = vis ? exp(s[i * 4 + j] * scale - lr[i]) : 0f;
                        ps[(tx + 16 * j) * LDS + ty + 16 * i] = p * (dp[i * 4 + j] - dr[i]) * scale;
                    }
                localBarrier();
                for (int c0 = 0; c0 < B; c0 += VC) {
                    for (int l = 0; l < 8; l++) {
                        int d = tid & 127, cc = (tid >> 7) + 2 * l, gj = j0 + c0 + cc;
                        kv[cc * 128 + d] = gj < tokensK && d < headDim ? k[kOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                    }
                    localBarrier();
                    for (int cc = 0; cc < 16; cc++) {
                        for (int i = 0; i < 4; i++) ra[i] = ps[(c0 + cc) * LDS + ty + 16 * i];
                        for (int j = 0; j < 8; j++) rb[j] = kv[cc * 128 + tx + 16 * j];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 8; j++) o[i * 8 + j] += ra[i] * rb[j];
                    }
                    localBarrier();
                }
            }
        }
        for (int i = 0; i < 4; i++) {
            int gi = q0 + ty + 16 * i;
            if (gi < tokensQ)
                for (int j = 0; j < 8; j++) {
                    int d = tx + 16 * j;
                    if (d < headDim) dq[(gi * heads + h) * headDim + d] += o[i * 8 + j];
                }
        }
    }

    static final float INF = Float.POSITIVE_INFINITY;
}
