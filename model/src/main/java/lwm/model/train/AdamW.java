package lwm.model.train;

import java.util.List;

/**
 * AdamW as optax chains it in LWM (tux): clip the gradients to a global L2 norm, Adam moments with
 * bias correction, then decoupled weight decay {@code p -= lr * wd * p} (matrices only; norm gains
 * are not decayed). State is fp32 like the master weights.
 */
public final class AdamW {
    public final double beta1, beta2, eps, weightDecay, clipNorm;
    private final List<Param> params;
    final float[][] m, v;
    long step; // updates applied so far

    public AdamW(List<Param> params, double beta1, double beta2, double eps, double weightDecay, double clipNorm) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size()];
            v[i] = new float[params.get(i).size()];
        }
    }

    /** LWM's settings: betas 0.9 / 0.95, eps 1e-8, clip 1.0. */
    public static AdamW lwm(List<Param> params, double weightDecay) {
        return new AdamW(params, 0.9, 0.95, 1e-8, weightDecay, 1.0);
    }

    public long step() { return step; }

    public float[] firstMoment(int i) { return m[i]; }

    public float[] secondMoment(int i) { return v[i]; }

    public void setStep(long s) { step = s; }

    /** L2 norm over every gradient. */
    public static double globalNorm(List<Param> params) {
        double ss = 0;
        for (Param p : params) for (float g : p.grad) ss += (double) g * g;
        return Math.sqrt(ss);
    }

    /** Applies one update with learning rate lr; returns the gradient norm before clipping. */
    public double update(double lr) {
        double norm = globalNorm(params);
        double scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1.0;
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            float[] w = p.data, g = p.grad, mi = m[i], vi = v[i];
            double wd = p.isVector() ? 0 : weightDecay;
            for (int j = 0; j < w.length; j++) {
                double gj = g[j] * scale;
                mi[j] = (float) (beta1 * mi[j] + (1 - beta1) * gj);
                vi[j] = (float) (beta2 * vi[j] + (1 - beta2) * gj * gj);
                double upd = (mi[j] / bc1) / (Math.sqrt(vi[j] / bc2) + eps) + wd * w[j];
                w[j] = (float) (w[j] - lr * upd);
            }
        }
        return norm;
    }
}
