package lwm.kernels.opencl;

/**
 * Rotary embedding in place, one work-item per (token, head, pair). The angle position * invFreq is taken
 * in double like the reference: at a million positions an f32 angle loses the low bits that tell
 * neighbouring tokens apart. interleaved: pairs (2i, 2i+1); else (i, i + d/2). inverse rotates backwards.
 */
public final class RopeKernel extends ClKernel {
    public float[] x, invFreq;
    public int[] positions;
    public int xOff, posOff, tokens, heads, headDim, interleaved, inverse;

    @Override
    public void run() {
        int g = getGlobalId(0), hd = headDim / 2;
        if (g < tokens * heads * hd) {
            int i = g % hd, th = g / hd, t = th / heads;
            double angle = positions[posOff + t] * (double) invFreq[i];
            double c = cos(angle), sn = inverse != 0 ? -sin(angle) : sin(angle);
            int base = xOff + th * headDim;
            int i0 = interleaved != 0 ? base + 2 * i : base + i;
            int i1 = interleaved != 0 ? base + 2 * i + 1 : base + i + hd;
            double a = x[i0], b = x[i1];
            x[i0] = (float) (a * c - b * sn);
            x[i1] = (float) (a * sn + b * c);
        }
    }
}
