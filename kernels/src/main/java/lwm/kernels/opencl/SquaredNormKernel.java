package lwm.kernels.opencl;

/**
 * Partial sums of squares for a global gradient norm: work-group g of the GROUPS in the launch writes the sum of
 * x[off + i]^2 over the i it strides through to out[outOff + g]; the caller adds the few partials up
 * (in double) instead of reading the whole tensor back.
 */
public final class SquaredNormKernel extends ClKernel {
    static final int WG = 256, GROUPS = 32;
    public float[] x, out;
    public int off, n, outOff;
    @Local float[] red = new float[WG];

    @Override
    public void run() {
        int lid = getLocalId(0), grp = getGroupId(0), stride = GROUPS * WG;
        float s = 0f;
        for (int i = grp * WG + lid; i < n; i += stride) s += x[off + i] * x[off + i];
        red[lid] = s;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] += red[lid + st];
            localBarrier();
        }
        if (lid == 0) out[outOff + grp] = red[0];
    }
}
