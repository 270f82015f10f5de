package lwm.kernels.opencl;

/**
 * The same product as {@link MatmulKernel} (same parameters, same 128 x 128 tile per 16 x 16 work-group,
 * 8 x 8 register tile per work-item) with a register tile made of two 4 x 4 blocks of CONSECUTIVE rows and
 * columns (rows ty*4.. and 64+ty*4.., columns likewise), 16-byte aligned local rows, kernel-scope arrays
 * ({@link StaticLocals}) and the next k-tile loaded from global memory into registers while the current one
 * is multiplied, so the loads' latency hides behind the multiply-adds. The layout would let a compiler read
 * local memory four floats at a time; NVIDIA's OpenCL compiler did not (its PTX has scalar ld.shared only,
 * bench/gpu/results/h200-run3/ptx.tgz), yet this kernel ran 1.15x faster than {@link MatmulKernel} on the H200.
 */
@StaticLocals
public class MatmulWideKernel extends ClKernel {
    static final int TILE = 128, KT = 16, LD = 132, WG = 16;

    public float[] a, b, c;
    public short[] bh;
    public int aOff, bOff, cOff, aStride, bStride, cStride, m, n, k;
    public int transA, transB, bKind, accumulate;

    @Local float[] as = new float[KT * LD];
    @Local float[] bs = new float[KT * LD];
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
            pa[l] = loadA(ao, row0 + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127)), transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l);
            pb[l] = loadB(bo, col0 + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l), transB == 0 ? (tid >> 7) + 2 * l : (tid & 15));
        }
        for (int p0 = 0; p0 < k; p0 += KT) {
            for (int l = 0; l < 8; l++) {
                as[(transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l) * LD + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127))] = pa[l];
                bs[(transB == 0 ? (tid >> 7) + 2 * l : (tid & 15)) * LD + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l)] = pb[l];
            }
            localBarrier();
            if (p0 + KT < k) {
                int q0 = p0 + KT;
                for (int l = 0; l < 8; l++) {
                    pa[l] = loadA(ao, row0 + (transA == 0 ? (tid >> 4) + 16 * l : (tid & 127)), q0 + (transA == 0 ? (tid & 15) : (tid >> 7) + 2 * l));
                    pb[l] = loadB(bo, col0 + (transB == 0 ? (tid & 127) : (tid >> 4) + 16 * l), q0 + (transB == 0 ? (tid >> 7) + 2 * l : (tid & 15)));
                }
            }
            for (int kk = 0; kk < 16; kk++) {
                for (int i = 0; i < 4; i++) {
                    ra[i] = as[kk * LD + ty * 4 + i];
                    ra[4 + i] = as[kk * LD + 64 + ty * 4 + i];
                    rb[i] = bs[kk * LD + tx * 4 + i];
                    rb[4 + i] = bs[kk * LD + 64 + tx * 4 + i];
                }
                for (int i = 0; i < 8; i++)
                    for (int j = 0; j < 8; j++) acc[i * 8 + j] += ra[i] * rb[j];
            }
            localBarrier();
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
