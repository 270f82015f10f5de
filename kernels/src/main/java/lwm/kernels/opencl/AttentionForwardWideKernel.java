package lwm.kernels.opencl;

/**
 * {@link AttentionForwardKernel} with each work-item's rows and columns CONSECUTIVE (rows ty*4.., key
 * columns tx*4.., output columns tx*4.. and 64+tx*4..), 16-byte aligned local rows and kernel-scope local
 * arrays ({@link StaticLocals}), meant to let local reads be four floats wide (the forward's two inner
 * products read local memory once per 2 to 2.7 multiply-adds). NVIDIA's compiler kept the reads scalar, but
 * on the H200 this layout ran 1.13x faster than {@link AttentionForwardKernel}. Same parameters, same results.
 */
@StaticLocals(privateArrays = false)
public final class AttentionForwardWideKernel extends ClKernel {
    static final int B = 64, DC = 32, VC = 16, LDS = 68, RS = 17;

    public float[] q, k, v, out, lse;
    public int[] qPos, kPos, qSeg, kSeg;
    public int qOff, kOff, vOff, outOff, lseOff, tokensQ, tokensK, heads, kvHeads, headDim, causal, useSeg;
    public float scale;

    @Local float[] qs = new float[DC * LDS];
    @Local float[] kv = new float[DC * LDS];
    @Local float[] ps = new float[B * LDS];
    @Local float[] red = new float[B * RS];
    @Local int[] flag = new int[3];

    @PrivateMemorySpace(16) float[] s = new float[16];
    @PrivateMemorySpace(32) float[] o = new float[32];
    @PrivateMemorySpace(4) float[] mr = new float[4];
    @PrivateMemorySpace(4) float[] lr = new float[4];
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
            int gi = q0 + ty * 4 + i;
            // rows past the end get position -1 / segment -1 sentinels and are never visible or written
            qp[i] = gi < tokensQ ? qPos[gi] : -1;
            qg[i] = gi < tokensQ && useSeg != 0 ? qSeg[gi] : 0;
            mr[i] = -INF;
            lr[i] = 0f;
        }
        for (int i = 0; i < 32; i++) o[i] = 0f;
        if (tid < 3) flag[tid] = 0;
        localBarrier();
        for (int j0 = 0; j0 < tokensK; j0 += B) {
            int blk = j0 / B;
            int any = 0;
            for (int j = 0; j < 4; j++) {
                int gj = j0 + tx * 4 + j;
                kp[j] = gj < tokensK ? kPos[gj] : 0x7fffffff;
                kg[j] = gj < tokensK && useSeg != 0 ? kSeg[gj] : 0;
                for (int i = 0; i < 4; i++)
                    if (gj < tokensK && qp[i] >= 0 && (causal == 0 || kp[j] <= qp[i]) && qg[i] == kg[j]) any = 1;
            }
            // three rotating flags: reset two blocks ahead, so no reader of the old value is still running
            if (tid == 0) flag[(blk + 1) % 3] = 0;
            if (any != 0) flag[blk % 3] = 1;
            localBarrier();
            if (flag[blk % 3] != 0) {
                for (int i = 0; i < 16; i++) s[i] = 0f;
                for (int d0 = 0; d0 < headDim; d0 += DC) {
                    for (int l = 0; l < 8; l++) {
                        int dd = tid & 31, r = (tid >> 5) + 8 * l;
                        int gi = q0 + r, gj = j0 + r, d = d0 + dd;
                        qs[dd * LDS + r] = gi < tokensQ && d < headDim ? q[qOff + (gi * heads + h) * headDim + d] : 0f;
                        kv[dd * LDS + r] = gj < tokensK && d < headDim ? k[kOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                    }
                    localBarrier();
                    for (int dd = 0; dd < 32; dd++) {
                        for (int i = 0; i < 4; i++) ra[i] = qs[dd * LDS + ty * 4 + i];
                        for (int j = 0; j < 4; j++) rb[j] = kv[dd * LDS + tx * 4 + j];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) s[i * 4 + j] += ra[i] * rb[j];
                    }
                    localBarrier();
                }
                for (int i = 0; i < 4; i++) {
                    float bm = -INF;
                    for (int j = 0; j < 4; j++) {
                        int gj = j0 + tx * 4 + j;
                        boolean vis = gj < tokensK && qp[i] >= 0 && (causal == 0 || kp[j] <= qp[i]) && qg[i] == kg[j];
                        s[i * 4 + j] = vis ? s[i * 4 + j] * scale : -INF;
                        bm = max(bm, s[i * 4 + j]);
                    }
                    red[(ty * 4 + i) * RS + tx] = bm;
                }
                localBarrier();
                for (int i = 0; i < 4; i++) {
                    float bm = -INF;
                    for (int t = 0; t < 16; t++) bm = max(bm, red[(ty * 4 + i) * RS + t]);
                    float mNew = max(mr[i], bm);
                    // a row that has seen no visible key yet keeps m = -inf; exp(-inf - -inf) would be NaN
                    float alpha = mNew == -INF ? 1f : exp(mr[i] - mNew);
                    float sum = 0f;
                    for (int j = 0; j < 4; j++) {
                        float p = s[i * 4 + j] == -INF ? 0f : exp(s[i * 4 + j] - mNew);
                        sum += p;
                        ps[(tx * 4 + j) * LDS + ty * 4 + i] = p;
                    }
                    lr[i] = lr[i] * alpha + sum;
                    for (int j = 0; j < 8; j++) o[i * 8 + j] *= alpha;
                    mr[i] = mNew;
                }
                localBarrier();
                for (int c0 = 0; c0 < B; c0 += VC) {
                    for (int l = 0; l < 8; l++) {
                        int d = tid & 127, cc = (tid >> 7) + 2 * l, gj = j0 + c0 + cc;
                        kv[cc * 128 + d] = gj < tokensK && d < headDim ? v[vOff + (gj * kvHeads + kh) * headDim + d] : 0f;
                    }
                    localBarrier();
                    for (int cc = 0; cc < 16; cc++) {
                        for (int i = 0; i < 4; i++) ra[i] = ps[(c0 + cc) * LDS + ty * 4 + i];
                        for (int j = 0; j < 8; j++) rb[j] = kv[cc * 128 + (j >> 2) * 64 + tx * 4 + (j & 3)];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 8; j++) o[i * 8 + j] += ra[i] * rb[j];
                    }
                    localBarrier();
                }
            }
        }
        for (int i = 0; i < 4; i++) red[(ty * 4 + i) * RS + tx] = lr[i];
        localBarrier();
        for (int i = 0; i < 4; i++) {
            float l = 0f;
            for (int t = 0; t < 16; t++) l += red[(ty * 4 + i) * RS + t];
            int gi = q0 + ty * 4 + i;
            if (gi < tokensQ) {
                for (int j = 0; j < 8; j++) {
                    int d = (j >> 2) * 64 + tx * 4 + (j & 3);
                    if (d < headDim) out[outOff + (gi * heads + h) * headDim + d] = l == 0f ? 0f : o[i * 8 + j] / l;
                }
                if (tx == 0) lse[lseOff + gi * heads + h] = l == 0f ? -INF : mr[i] + log(l);
            }
        }
    }

    static final float INF = Float.POSITIVE_INFINITY;
}
