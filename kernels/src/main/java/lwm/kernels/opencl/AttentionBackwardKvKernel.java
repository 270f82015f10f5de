package lwm.kernels.opencl;

/**
 * Attention backward, the dK/dV half: one work-group per (block of 64 keys, key/value head) walks every
 * query head of its group and every block of 64 queries, recomputes S^T = K.Q^T and dP^T = V.dO^T in
 * register tiles, forms P^T and dS^T in local memory and accumulates dV += P^T.dO and dK += dS^T.Q in
 * 4 x 8 register tiles. Owning the key rows makes the grouped-query sum race-free without atomics.
 * dk and dv ACCUMULATE. The staging buffer is 16 dimensions deep (not 32 as in the forward) so that
 * both P^T and dS^T fit in local memory next to it.
 */
public final class AttentionBackwardKvKernel extends ClKernel {
    static final int B = 64, DC = 16, VC = 16, LDS = 65;

    public float[] q, k, v, lse, dOut, delta, dk, dv;
    public int[] qPos, kPos, qSeg, kSeg;
    public int qOff, kOff, vOff, lseOff, tokensQ, tokensK, heads, kvHeads, headDim, causal, useSeg;
    public float scale;

    /** two [16][65] staging halves for S^T/dP^T, or one [16][128] chunk of dO or Q for the updates */
    @Local float[] st = new float[2 * DC * LDS];
    @Local float[] pt = new float[B * LDS];
    @Local float[] dst = new float[B * LDS];
    @Local int[] flag = new int[3];

    @PrivateMemorySpace(16) float[] s = new float[16];
    @PrivateMemorySpace(16) float[] dp = new float[16];
    @PrivateMemorySpace(32) float[] ak = new float[32];
    @PrivateMemorySpace(32) float[] av = new float[32];
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
        int j0 = getGroupId(0) * B, kh = getGroupId(1), group = heads / kvHeads;
        // this work-item's key rows: ty + 16 i; its query columns in a block: tx + 16 j
        for (int i = 0; i < 4; i++) {
            int gj = j0 + ty + 16 * i;
            kp[i] = gj < tokensK ? kPos[gj] : 0x7fffffff;
            kg[i] = gj < tokensK && useSeg != 0 ? kSeg[gj] : 0;
        }
        for (int i = 0; i < 32; i++) {
            ak[i] = 0f;
            av[i] = 0f;
        }
        if (tid < 3) flag[tid] = 0;
        localBarrier();
        int blk = 0;
        for (int h = kh * group; h < kh * group + group; h++) {
            for (int q0 = 0; q0 < tokensQ; q0 += B) {
                int any = 0;
                for (int j = 0; j < 4; j++) {
                    int gi = q0 + tx + 16 * j;
                    lr[j] = gi < tokensQ ? lse[lseOff + gi * heads + h] : -INF;
                    qp[j] = gi < tokensQ && lr[j] != -INF ? qPos[gi] : -1;
                    qg[j] = gi < tokensQ && useSeg != 0 ? qSeg[gi] : 0;
                    dr[j] = gi < tokensQ ? delta[gi * heads + h] : 0f;
                    for (int i = 0; i < 4; i++)
                        if (qp[j] >= 0 && kp[i] != 0x7fffffff && (causal == 0 || kp[i] <= qp[j]) && qg[j] == kg[i]) any = 1;
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
                        for (int l = 0; l < 4; l++) {
                            int dd = tid & 15, r = (tid >> 4) + 16 * l;
                            int gj = j0 + r, gi = q0 + r, d = d0 + dd;
                            st[dd * LDS + r] = gj < tokensK && d < headDim ? k[kOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                            st[DC * LDS + dd * LDS + r] = gi < tokensQ && d < headDim ? q[qOff + (gi * heads + h) * headDim + d] : 0f;
                        }
                        localBarrier();
                        for (int dd = 0; dd < 16; dd++) {
                            for (int i = 0; i < 4; i++) ra[i] = st[dd * LDS + ty + 16 * i];
                            for (int j = 0; j < 4; j++) rb[j] = st[DC * LDS + dd * LDS + tx + 16 * j];
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 4; j++) s[i * 4 + j] += ra[i] * rb[j];
                        }
                        localBarrier();
                        for (int l = 0; l < 4; l++) {
                            int dd = tid & 15, r = (tid >> 4) + 16 * l;
                            int gj = j0 + r, gi = q0 + r, d = d0 + dd;
                            st[dd * LDS + r] = gj < tokensK && d < headDim ? v[vOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                            st[DC * LDS + dd * LDS + r] = gi < tokensQ && d < headDim ? dOut[(gi * heads + h) * headDim + d] : 0f;
                        }
                        localBarrier();
                        for (int dd = 0; dd < 16; dd++) {
                            for (int i = 0; i < 4; i++) ra[i] = st[dd * LDS + ty + 16 * i];
                            for (int j = 0; j < 4; j++) rb[j] = st[DC * LDS + dd * LDS + tx + 16 * j];
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 4; j++) dp[i * 4 + j] += ra[i] * rb[j];
                        }
                        localBarrier();
                    }
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) {
                            boolean vis = qp[j] >= 0 && kp[i] != 0x7fffffff && (causal == 0 || kp[i] <= qp[j]) && qg[j] == kg[i];
                            float p = vis ? exp(s[i * 4 + j] * scale - lr[j]) : 0f;
                            pt[(tx + 16 * j) * LDS + ty + 16 * i] = p;
                            dst[(tx + 16 * j) * LDS + ty + 16 * i] = p * (dp[i * 4 + j] - dr[j]) * scale;
                        }
                    for (int r0 = 0; r0 < B; r0 += VC) {
                        localBarrier();
                        for (int l = 0; l < 8; l++) {
                            int d = tid & 127, rr = (tid >> 7) + 2 * l, gi = q0 + r0 + rr;
                            st[rr * 128 + d] = gi < tokensQ && d < headDim ? dOut[(gi * heads + h) * headDim + d] : 0f;
                        }
                        localBarrier();
                        for (int rr = 0; rr < 16; rr++) {
                            for (int i = 0; i < 4; i++) ra[i] = pt[(r0 + rr) * LDS + ty + 16 * i];
                            for (int j = 0; j < 8; j++) rb[j] = st[rr * 128 + tx + 16 * j];
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 8; j++) av[i * 8 + j] += ra[i] * rb[j];
                        }
                        localBarrier();
                        for (int l = 0; l < 8; l++) {
                            int d = tid & 127, rr = (tid >> 7) + 2 * l, gi = q0 + r0 + rr;
                            st[rr * 128 + d] = gi < tokensQ && d < headDim ? q[qOff + (gi * heads + h) * headDim + d] : 0f;
                        }
                        localBarrier();
                        for (int rr = 0; rr < 16; rr++) {
                            for (int i = 0; i < 4; i++) ra[i] = dst[(r0 + rr) * LDS + ty + 16 * i];
                            for (int j = 0; j < 8; j++) rb[j] = st[rr * 128 + tx + 16 * j];
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 8; j++) ak[i * 8 + j] += ra[i] * rb[j];
                        }
                    }
                    localBarrier();
                }
                blk++;
            }
        }
        for (int i = 0; i < 4; i++) {
            int gj = j0 + ty + 16 * i;
            if (gj < tokensK)
                for (int j = 0; j < 8; j++) {
                    int d = tx + 16 * j;
                    if (d < headDim) {
                        dk[(gj * kvHeads + kh) * headDim + d] += ak[i * 8 + j];
                        dv[(gj * kvHeads + kh) * headDim + d] += av[i * 8 + j];
                    }
                }
        }
    }

    static final float INF = Float.POSITIVE_INFINITY;
}
