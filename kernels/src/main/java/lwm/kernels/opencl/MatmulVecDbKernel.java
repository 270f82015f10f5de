package lwm.kernels.opencl;

/**
 * {@link MatmulVecKernel} with double-buffered local tiles: the next k-tile, loaded into registers while the
 * current one is multiplied, is stored into the other half of the local arrays, so one barrier per k-tile
 * suffices (the single-buffered kernel needs two: before the tile is read and before it is overwritten).
 * Costs twice the local memory (33 KiB per work-group). Same parameters and launch shape as
 * {@link MatmulWideKernel}; every float4 read base is a multiple of 4 ({@code BUF}, {@code LD} and the
 * 4-aligned column offsets all are).
 */
@StaticLocals
@VectorLocalReads
public final class MatmulVecDbKernel extends ClKernel {
    static final int TILE = 128, KT = 16, LD = 132, WG = 16, BUF = KT * LD;

    public float[] a, b, c;
    public short[] bh;
    public int aOff, bOff, cOff, aStride, bStride, cStride, m, n, k;
    public int transA, transB, bKind, accumulate;

    @Local float[] as = new float[2 * BUF];
    @Local float[] bs = new float[2 * BUF];
    @PrivateMemorySpace(64) float[] acc = new float[64];
    @PrivateMemorySpace(8) float[] ra = new float[8];
    @PrivateMemorySpace(8) float[] rb = new float[8];
    @PrivateMemorySpace(8) float[] pa = new float[8];
    @PrivateMemorySpace(8) float[] pb = new float[8];

    /** A[gr, gp] of this batch item (A stored [m, k], or [k, m] when transA), 0 outside the matrix. */
    private float loadA(int ao, int gr, int gp) {
        float v = 0f;
        if (gr < m && gp < k) v = transA == 0 ? a[ao + gr * k + gp] : a[ao + gp * m + gr];
        return v;
    }

    /** B[gp, gc] (B stored [k, n], or [n, k] when transB; f32 or 16-bit), 0 outside the matrix. */
    private float loadB(int bo, int gc, int gp) {
        float v = 0f;
        if (gc < n && gp < k) {
            int idx = transB == 0 ? bo + gp * n + gc : bo + gc * k + gp;
            v = bKind == 0 ? b[idx] : bKind == 1 ? bf16ToF32(bh[idx]) : f16ToF32(bh[idx]);
        }
        return v;
    }

    @Override
    public void run() {
        int tx = getLocalId(0), ty = getLocalId(1), tid = ty * WG + tx;
        int row0 = getGroupId(1) * TILE, col0 = getGroupId(0) * TILE, z = getGroupId(2);
        int ao = aOff + z * aStride, bo = bOff + z * bStride, co = cOff + z * cStride;
        for (int i = 0; i < 64; i++) acc[i] = 0f;
        for (int l = 0; l < 8; l++) {
            as[(transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l) * LD + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127))] =
                    loadA(ao, row0 + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127)), transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l);
            bs[(transB == 0 ? (tid >> 7) + 2 * l : (tid & 15)) * LD + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l)] =
                    loadB(bo, col0 + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l), transB == 0 ? (tid >> 7) + 2 * l : (tid & 15));
        }
        localBarrier();
        int cur = 0;
        for (int p0 = 0; p0 < k; p0 += KT) {
            int more = p0 + KT < k ? 1 : 0;
            if (more != 0) {
                int q0 = p0 + KT;
                for (int l = 0; l < 8; l++) {
                    pa[l] = loadA(ao, row0 + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127)), q0 + (transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l));
                    pb[l] = loadB(bo, col0 + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l), q0 + (transB == 0 ? (tid >> 7) + 2 * l : (tid & 15)));
                }
            }
            int cb = cur * BUF;
            for (int kk = 0; kk < 16; kk++) {
                for (int i = 0; i < 4; i++) {
                    ra[i] = as[cb + kk * LD + ty * 4 + i];
                    ra[4 + i] = as[cb + kk * LD + 64 + ty * 4 + i];
                    rb[i] = bs[cb + kk * LD + tx * 4 + i];
                    rb[4 + i] = bs[cb + kk * LD + 64 + tx * 4 + i];
                }
                for (int i = 0; i < 8; i++)
                    for (int j = 0; j < 8; j++) acc[i * 8 + j] += ra[i] * rb[j];
            }
            if (more != 0) {
                // the other half was last read in the previous k-tile, which every work-item finished before the last barrier
                int nb = BUF - cb;
                for (int l = 0; l < 8; l++) {
                    as[nb + (transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l) * LD + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127))] = pa[l];
                    bs[nb + (transB == 0 ? (tid >> 7) + 2 * l : (tid & 15)) * LD + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l)] = pb[l];
                }
            }
            localBarrier();
            cur = 1 - cur;
        }
        for (int i = 0; i < 8; i++) {
            int gr = row0 + (i >> 2) * 64 + ty * 4 + (i & 3);
            for (int j = 0; j < 8; j++) {
                int gc = col0 + (j >> 2) * 64 + tx * 4 + (j & 3);
                if (gr < m && gc < n) {
                    int idx = co + gr * n + gc;
                    c[idx] = accumulate != 0 ? c[idx] + acc[i * 8 + j] : acc[i * 8 + j];
                }
            }
        }
    }
}
