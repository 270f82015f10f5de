package lwm.kernels.opencl;

/**
 * C (+)= op(A) . op(B), batched through group dimension 2. One work-group of 16 x 16 work-items computes a
 * 128 x 128 tile of C; each work-item owns an 8 x 8 register tile whose rows and columns are strided by 16
 * (so the local-memory reads of a warp are broadcasts or consecutive words). The k dimension streams through
 * local memory 16 at a time; rows are padded to 129 words to keep the transposed stores free of bank
 * conflicts. B may be f32 or a 16-bit weight (bf16/f16) widened while it is staged, so checkpoint weights
 * stay 16-bit on the device. Edges are handled by zero-padding the staged tiles and masking the stores.
 */
public final class MatmulKernel extends ClKernel {
    static final int TILE = 128, KT = 16, LD = 129, WG = 16, R = 8;

    public float[] a, b, c;
    public short[] bh;
    public int aOff, bOff, cOff, aStride, bStride, cStride, m, n, k;
    /** transA: A is stored [k, m]; transB: B is stored [n, k]; bKind 0 f32 (b), 1 bf16 (bh), 2 f16 (bh). */
    public int transA, transB, bKind, accumulate;

    @Local float[] as = new float[KT * LD];
    @Local float[] bs = new float[KT * LD];
    @PrivateMemorySpace(64) float[] acc = new float[R * R];
    @PrivateMemorySpace(8) float[] ra = new float[R];
    @PrivateMemorySpace(8) float[] rb = new float[R];

    @Override
    public void run() {
        int tx = getLocalId(0), ty = getLocalId(1), tid = ty * WG + tx;
        int row0 = getGroupId(1) * TILE, col0 = getGroupId(0) * TILE, z = getGroupId(2);
        int ao = aOff + z * aStride, bo = bOff + z * bStride, co = cOff + z * cStride;
        for (int i = 0; i < 64; i++) acc[i] = 0f;
        for (int p0 = 0; p0 < k; p0 += KT) {
            for (int l = 0; l < 8; l++) {
                int p = transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l;
                int r = transA == 0 ? (tid >> 4) + 16 * l : (tid & 127);
                int gr = row0 + r, gp = p0 + p;
                float v = 0f;
                if (gr < m && gp < k) v = transA == 0 ? a[ao + gr * k + gp] : a[ao + gp * m + gr];
                as[p * LD + r] = v;
            }
            for (int l = 0; l < 8; l++) {
                int p = transB == 0 ? (tid >> 7) + 2 * l : (tid & 15);
                int cc = transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l;
                int gc = col0 + cc, gp = p0 + p;
                float v = 0f;
                if (gc < n && gp < k) {
                    int idx = transB == 0 ? bo + gp * n + gc : bo + gc * k + gp;
                    v = bKind == 0 ? b[idx] : bKind == 1 ? bf16ToF32(bh[idx]) : f16ToF32(bh[idx]);
                }
                bs[p * LD + cc] = v;
            }
            localBarrier();
            for (int kk = 0; kk < 16; kk++) {
                for (int i = 0; i < 8; i++) ra[i] = as[kk * LD + ty + 16 * i];
                for (int j = 0; j < 8; j++) rb[j] = bs[kk * LD + tx + 16 * j];
                for (int i = 0; i < 8; i++)
                    for (int j = 0; j < 8; j++) acc[i * 8 + j] += ra[i] * rb[j];
            }
            localBarrier();
        }
        for (int i = 0; i < 8; i++) {
            int gr = row0 + ty + 16 * i;
            for (int j = 0; j < 8; j++) {
                int gc = col0 + tx + 16 * j;
                if (gr < m && gc < n) {
                    int idx = co + gr * n + gc;
                    c[idx] = accumulate != 0 ? c[idx] + acc[i * 8 + j] : acc[i * 8 + j];
                }
            }
        }
    }
}
