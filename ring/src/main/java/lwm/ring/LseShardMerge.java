package lwm.ring;

import lwm.model.parallel.ShardMerge;

/**
 * {@link ShardMerge} over a communicator: every rank's partial (out [rows, D] and lse [rows]) is
 * all-gathered in one message, then folded in rank order in f64: lse = log sum_r exp(lse_r) and
 * out = sum_r exp(lse_r - lse) out_r. The fold order and inputs are the same everywhere, so every
 * rank ends with bit-identical results. For one decode token that is (heads x (headDim + 1)) floats
 * per rank and layer.
 */
public final class LseShardMerge implements ShardMerge {
    private final Communicator comm;

    public LseShardMerge(Communicator comm) { this.comm = comm; }

    @Override
    public void merge(float[] out, float[] lse, int rows, int headDim) {
        int p = comm.size();
        if (p == 1) return;
        int len = rows * (headDim + 1);
        float[] mine = new float[len];
        System.arraycopy(out, 0, mine, 0, rows * headDim);
        System.arraycopy(lse, 0, mine, rows * headDim, rows);
        int[] counts = new int[p];
        java.util.Arrays.fill(counts, len);
        float[] all = comm.allGatherV(mine, counts);
        double[] acc = new double[headDim];
        for (int row = 0; row < rows; row++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < p; r++) m = Math.max(m, all[r * len + rows * headDim + row]);
            if (m == Double.NEGATIVE_INFINITY) {   // no rank sees any key for this row
                java.util.Arrays.fill(out, row * headDim, (row + 1) * headDim, 0f);
                lse[row] = Float.NEGATIVE_INFINITY;
                continue;
            }
            java.util.Arrays.fill(acc, 0);
            double sum = 0;
            for (int r = 0; r < p; r++) {
                double l = all[r * len + rows * headDim + row];
                if (l == Double.NEGATIVE_INFINITY) continue;
                double e = Math.exp(l - m);
                sum += e;
                int o = r * len + row * headDim;
                for (int d = 0; d < headDim; d++) acc[d] += e * all[o + d];
            }
            for (int d = 0; d < headDim; d++) out[row * headDim + d] = (float) (acc[d] / sum);
            lse[row] = (float) (m + Math.log(sum));
        }
    }
}
