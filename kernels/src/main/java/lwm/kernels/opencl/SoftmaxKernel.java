package lwm.kernels.opencl;

/** Row softmax in place, one work-group of 256 per row (max, then sum of exponentials, then scale). */
public final class SoftmaxKernel extends ClKernel {
    static final int WG = 256;
    public float[] x;
    public int off, cols;
    @Local float[] red = new float[WG];

    @Override
    public void run() {
        int row = getGroupId(0), lid = getLocalId(0), o = off + row * cols;
        float m = -Float.MAX_VALUE;
        for (int j = lid; j < cols; j += WG) m = max(m, x[o + j]);
        red[lid] = m;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] = max(red[lid], red[lid + st]);
            localBarrier();
        }
        float mx = red[0];
        localBarrier();
        float sum = 0f;
        for (int j = lid; j < cols; j += WG) sum += exp(x[o + j] - mx);
        red[lid] = sum;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] += red[lid + st];
            localBarrier();
        }
        float inv = 1f / red[0];
        for (int j = lid; j < cols; j += WG) x[o + j] = exp(x[o + j] - mx) * inv;
    }
}
