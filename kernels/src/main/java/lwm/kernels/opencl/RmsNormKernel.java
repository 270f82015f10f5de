package lwm.kernels.opencl;

/** out = x / rms(x) * w, one work-group of 256 per row; w is f32 (w) or 16-bit (wh, wKind 1 bf16, 2 f16). */
public final class RmsNormKernel extends ClKernel {
    static final int WG = 256;
    public float[] x, out, w;
    public short[] wh;
    public int xOff, outOff, dim, wKind;
    public float eps;
    @Local float[] red = new float[WG];

    @Override
    public void run() {
        int row = getGroupId(0), lid = getLocalId(0);
        int xo = xOff + row * dim, oo = outOff + row * dim;
        float ss = 0f;
        for (int i = lid; i < dim; i += WG) ss += x[xo + i] * x[xo + i];
        red[lid] = ss;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] += red[lid + st];
            localBarrier();
        }
        float inv = 1f / sqrt(red[0] / dim + eps);
        for (int i = lid; i < dim; i += WG) {
            float wi = wKind == 0 ? w[i] : wKind == 1 ? bf16ToF32(wh[i]) : f16ToF32(wh[i]);
            out[oo + i] = x[xo + i] * inv * wi;
        }
    }
}
