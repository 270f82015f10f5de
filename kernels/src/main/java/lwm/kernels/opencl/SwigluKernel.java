package lwm.kernels.opencl;

/** SwiGLU element-wise: backward=0 gives out = silu(gate) * up; backward=1 gives dGate and dUp from dOut. */
public final class SwigluKernel extends ClKernel {
    public float[] gate, up, out, dOut, dGate, dUp;
    public int gOff, uOff, oOff, dOff, n, backward;

    @Override
    public void run() {
        int i = getGlobalId(0);
        if (i < n) {
            float g = gate[gOff + i], sg = 1f / (1f + exp(-g));
            if (backward == 0) {
                out[oOff + i] = g * sg * up[uOff + i];
            } else {
                float d = dOut[dOff + i];
                dUp[i] = d * g * sg;
                dGate[i] = d * up[uOff + i] * sg * (1f + g * (1f - sg));
            }
        }
    }
}
