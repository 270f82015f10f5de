package lwm.kernels.opencl;

/**
 * dx of RMSNorm, one work-group per row: dx = r*dy*w - r^3 * x * sum(dy*w*x) / dim with r = rms(x)^-1.
 * Also stores r per row so {@link RmsNormDwKernel} can reduce dw over rows without recomputing it.
 */
public final class RmsNormBackwardKernel extends ClKernel {
    static final int WG = 256;
    public float[] x, w, dy, dx, rinv;
    public int xOff, dyOff, dxOff, dim;
    public float eps;
    @Local float[] red = new float[WG];
    @Local float[] red2 = new float[WG];

    @Override
    public void run() {
        int row = getGroupId(0), lid = getLocalId(0);
        int xo = xOff + row * dim, go = dyOff + row * dim, dxo = dxOff + row * dim;
        float ss = 0f, dot = 0f;
        for (int i = lid; i < dim; i += WG) {
            ss += x[xo + i] * x[xo + i];
            dot += dy[go + i] * w[i] * x[xo + i];
        }
        red[lid] = ss;
        red2[lid] = dot;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) {
                red[lid] += red[lid + st];
                red2[lid] += red2[lid + st];
            }
            localBarrier();
        }
        float r = 1f / sqrt(red[0] / dim + eps);
        float c = r * r * r * red2[0] / dim;
        for (int i = lid; i < dim; i += WG) dx[dxo + i] = r * dy[go + i] * w[i] - c * x[xo + i];
        if (lid == 0) rinv[row] = r;
    }
}
