package lwm.kernels.opencl;

/** y[yOff + i] += alpha * x[xOff + i]: residual connections and gradient accumulation on the device. */
public final class AxpyKernel extends ClKernel {
    public float[] x, y;
    public int xOff, yOff, n;
    public float alpha;

    @Override
    public void run() {
        int i = getGlobalId(0);
        if (i < n) y[yOff + i] += alpha * x[xOff + i];
    }
}
