package lwm.kernels.opencl;

/**
 * One AdamW step in place (PyTorch's torch.optim.AdamW semantics: decoupled weight decay applied before
 * the moment update), on the gradient times gradScale (global-norm clipping): p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr * (m / bc1) / (sqrt(v / bc2) + eps) with bc1 = 1 - b1^t and bc2 = 1 - b2^t given by the caller.
 */
public final class AdamWKernel extends ClKernel {
    public float[] p, g, m, v;
    public int n, off;
    public float lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale;

    @Override
    public void run() {
        int i = getGlobalId(0);
        if (i < n) {
            int j = off + i;
            float gi = g[j] * gradScale;
            float pi = p[j] * (1f - lr * weightDecay);
            float mi = beta1 * m[j] + (1f - beta1) * gi;
            float vi = beta2 * v[j] + (1f - beta2) * gi * gi;
            m[j] = mi;
            v[j] = vi;
            p[j] = pi - lr * (mi / bc1) / (sqrt(vi / bc2) + eps);
        }
    }
}
