package lwm.kernels.opencl;

/**
 * Cross-entropy per row, one work-group of 256 per row: lse = log-sum-exp of the logits, nll = lse - logit
 * of the target (0 for ignored rows, target < 0), and when hasGrad != 0, dlogits = rowWeight * (softmax -
 * onehot) (0 for ignored rows).
 */
public final class CrossEntropyKernel extends ClKernel {
    static final int WG = 256;
    public float[] logits, nll, lse, dlogits, rowWeight;
    public int[] targets;
    public int off, vocab, tOff, hasGrad;
    @Local float[] red = new float[WG];

    @Override
    public void run() {
        int row = getGroupId(0), lid = getLocalId(0), o = off + row * vocab;
        float m = -Float.MAX_VALUE;
        for (int j = lid; j < vocab; j += WG) m = max(m, logits[o + j]);
        red[lid] = m;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] = max(red[lid], red[lid + st]);
            localBarrier();
        }
        float mx = red[0];
        localBarrier();
        float sum = 0f;
        for (int j = lid; j < vocab; j += WG) sum += exp(logits[o + j] - mx);
        red[lid] = sum;
        localBarrier();
        for (int st = WG / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] += red[lid + st];
            localBarrier();
        }
        float l = mx + log(red[0]);
        int t = targets[tOff + row];
        if (lid == 0) {
            lse[row] = l;
            nll[row] = t < 0 ? 0f : l - logits[o + t];
        }
        if (hasGrad != 0) {
            float w = t < 0 ? 0f : rowWeight[row];
            for (int j = lid; j < vocab; j += WG)
                dlogits[row * vocab + j] = w * (exp(logits[o + j] - l) - (j == t ? 1f : 0f));
        }
    }
}
