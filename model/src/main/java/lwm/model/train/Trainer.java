package lwm.model.train;

import lwm.kernels.Kernels;
import lwm.model.data.PackedRow;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.TokenPartition;

import java.util.List;

/**
 * One optimizer step over a batch of packed rows: loss weights from the full rows, denominators and
 * gradients summed over ranks through {@link GradientSync}, rows run one at a time (gradient
 * accumulation: memory of one row whatever the batch), then clipping and AdamW.
 *
 * <p>For sequence parallelism construct it with the ring's {@code AttentionOp}, {@code GradientSync}
 * and {@code TokenPartition}; the ranks of one sequence-parallel group pass the same rows, data-parallel
 * replicas pass their own rows (denominators and gradients are summed over all ranks).
 */
public final class Trainer {

    /** The outcome of one step: loss (over all ranks), gradient norm before clipping, lr used, tokens. */
    public record StepResult(double loss, double gradNorm, double lr, long tokens) {}

    private final TrainableLlama model;
    private final TrainStep step;
    private final GradientSync sync;
    private final LossWeighting weighting;
    private final AdamW optimizer;

    public Trainer(TrainableLlama model, Kernels kernels, AttentionOp attention, GradientSync sync, TokenPartition partition,
                   TrainStep.Options options, LossWeighting weighting, AdamW optimizer) {
        this.model = model;
        this.step = new TrainStep(model, kernels, attention, partition, options);
        this.sync = sync;
        this.weighting = weighting;
        this.optimizer = optimizer;
    }

    public TrainableLlama model() { return model; }

    public AdamW optimizer() { return optimizer; }

    /** Loss and gradients of a batch (gradients left in the parameters, summed over ranks); no update. */
    public double lossAndGradients(List<PackedRow> batch) {
        model.zeroGrad();
        return run(batch, true);
    }

    /** Loss of a batch without gradients. */
    public double loss(List<PackedRow> batch) { return run(batch, false); }

    /** Gradients, then one AdamW update with the given learning rate. */
    public StepResult train(List<PackedRow> batch, double lr) {
        double loss = lossAndGradients(batch);
        double norm = optimizer.update(lr);
        long tokens = 0;
        for (PackedRow r : batch) tokens += r.length();
        return new StepResult(loss, norm, lr, tokens);
    }

    private double run(List<PackedRow> batch, boolean backward) {
        double[] coef = weighting.coefficients();
        int classes = coef.length;
        float[][][] w = new float[batch.size()][][];
        // denominators: each rank adds the weights of its own tokens, so the sum over ranks counts
        // every target once whether ranks split rows (sequence parallel) or hold different rows
        double[] den = new double[classes];
        for (int b = 0; b < batch.size(); b++) {
            PackedRow row = batch.get(b);
            w[b] = weighting.weights(row);
            for (int t : step.localTokens(row.length()))
                for (int c = 0; c < classes; c++) den[c] += w[b][c][t];
        }
        for (int c = 0; c < classes; c++) den[c] = sync.allReduceSum(den[c]);

        double[] num = new double[classes];
        for (int b = 0; b < batch.size(); b++) {
            PackedRow row = batch.get(b);
            float[] g = null;
            if (backward) {
                g = new float[row.length()];
                for (int t = 0; t < g.length; t++) {
                    double s = 0;
                    for (int c = 0; c < classes; c++) if (den[c] > 0) s += coef[c] * w[b][c][t] / den[c];
                    g[t] = (float) s;
                }
            }
            double[] part = step.run(row, w[b], g);
            for (int c = 0; c < classes; c++) num[c] += part[c];
        }
        double loss = 0;
        for (int c = 0; c < classes; c++) {
            double nc = sync.allReduceSum(num[c]);
            if (den[c] > 0) loss += coef[c] * nc / den[c];
        }
        if (backward) for (Param p : model.params()) sync.allReduceSum(p.grad, 0, p.size());
        return loss;
    }
}
