package lwm.kernels.opencl;

/**
 * out[t, :] = table[ids[t], :] for a row-major [vocab, dim] table in f32 or 16 bits (kind 1 bf16, 2 f16).
 * Callers validate ids on the host; an id that still arrives out of range writes NaN rather than
 * reading outside the table, so the mistake cannot pass unnoticed.
 */
public final class EmbeddingKernel extends ClKernel {
    public float[] table, out;
    public short[] tableH;
    public int[] ids;
    public int idsOff, count, dim, vocab, kind, outOff;

    @Override
    public void run() {
        int g = getGlobalId(0);
        if (g < count * dim) {
            int t = g / dim, i = g % dim, id = ids[idsOff + t];
            float v = 0f / 0f;
            if (id >= 0 && id < vocab) {
                int idx = id * dim + i;
                v = kind == 0 ? table[idx] : kind == 1 ? bf16ToF32(tableH[idx]) : f16ToF32(tableH[idx]);
            }
            out[outOff + g] = v;
        }
    }
}
