package lwm.kernels.opencl;

/** dw[i] += sum over rows of dy*x*r: one work-item per column, so the row sum needs no atomics. */
public final class RmsNormDwKernel extends ClKernel {
    public float[] x, dy, rinv, dw;
    public int xOff, dyOff, dim, rows;

    @Override
    public void run() {
        int i = getGlobalId(0);
        if (i < dim) {
            float s = 0f;
            for (int r = 0; r < rows; r++) s += dy[dyOff + r * dim + i] * x[xOff + r * dim + i] * rinv[r];
            dw[i] += s;
        }
    }
}
