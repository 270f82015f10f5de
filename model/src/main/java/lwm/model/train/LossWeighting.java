package lwm.model.train;

import lwm.model.data.PackedRow;

import java.util.HashMap;
import java.util.Map;

/**
 * How the next-token losses of a batch are weighted (LWM's masked-packing re-weighting).
 * A weighting splits the targets into loss classes (text; or vision and text) and gives each target
 * a raw weight per class. The batch loss is
 * {@code sum_c coef_c * (sum_t w_ct * nll_t) / (sum_t w_ct)}, the sums running over every row of the
 * optimizer step and over every rank: the denominators are reduced through {@code GradientSync}, so the
 * same formula holds on one process, across a sequence-parallel ring and across data-parallel ranks.
 */
public interface LossWeighting {

    /** Raw per-token weights of one row, {@code [classes][row length]}. */
    float[][] weights(PackedRow row);

    /** The mixing coefficient of each class. */
    double[] coefficients();

    /**
     * Every packed example counts equally, however many loss tokens it has: a target of example e
     * weighs {@code m_t / sum_{t in e} m_t}, so the loss is the mean over examples of their mean token
     * loss, exactly as if each example had been its own padded row.
     */
    static LossWeighting perExample() {
        return new LossWeighting() {
            @Override public float[][] weights(PackedRow row) { return new float[][] {perExample(row, null)}; }
            @Override public double[] coefficients() { return new double[] {1}; }
        };
    }

    /**
     * LWM's vision-language loss: 0.5 x (vision loss + text loss), each the per-example weighted loss
     * over the targets of its modality ({@code visionTargets}; a text-only row only feeds the text term).
     */
    static LossWeighting visionText() {
        return new LossWeighting() {
            @Override public float[][] weights(PackedRow row) {
                if (row.visionTargets() == null) return new float[][] {new float[row.length()], perExample(row, null)};
                return new float[][] {perExample(row, Boolean.TRUE), perExample(row, Boolean.FALSE)};
            }
            @Override public double[] coefficients() { return new double[] {0.5, 0.5}; }
        };
    }

    /** m_t / (sum of m over t's segment), restricted to targets whose vision flag equals {@code vision} (null = all). */
    static float[] perExample(PackedRow row, Boolean vision) {
        int n = row.length();
        Map<Integer, Double> totals = new HashMap<>();
        float[] w = new float[n];
        for (int t = 0; t < n; t++) {
            if (!counts(row, t, vision)) continue;
            totals.merge(row.segments()[t], (double) row.lossMask()[t], Double::sum);
        }
        for (int t = 0; t < n; t++) {
            if (!counts(row, t, vision)) continue;
            double total = totals.get(row.segments()[t]);
            w[t] = total > 0 ? (float) (row.lossMask()[t] / total) : 0f;
        }
        return w;
    }

    private static boolean counts(PackedRow row, int t, Boolean vision) {
        if (row.lossMask()[t] == 0 || row.segments()[t] == 0) return false;
        return vision == null || row.visionTargets() == null ? vision != Boolean.TRUE : row.visionTargets()[t] == vision;
    }
}
