package lwm.kernels.opencl;

/** delta[r] = dot(out[r, :], dOut[r, :]) over each (token, head) row of headDim values. */
public final class AttentionDeltaKernel extends ClKernel {
    public float[] out, dOut, delta;
    public int rows, headDim;

    @Override
    public void run() {
        int r = getGlobalId(0);
        if (r < rows) {
            float s = 0f;
            for (int d = 0; d < headDim; d++) s += out[r * headDim + d] * dOut[r * headDim + d];
            delta[r] = s;
        }
    }
}
