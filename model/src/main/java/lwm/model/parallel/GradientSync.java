package lwm.model.parallel;

/**
 * Sums over the ranks that share the model weights but hold different tokens (sequence-parallel
 * and data-parallel groups). The training loop calls it for gradients and loss statistics; the ring
 * module implements it over MPJ Express. Every rank must make the same calls in the same order.
 */
public interface GradientSync {
    int rank();

    int size();

    /** In place: data[off, off+len) becomes the sum over all ranks. */
    void allReduceSum(float[] data, int off, int len);

    /** The sum of v over all ranks (loss numerators, token counts). */
    double allReduceSum(double v);

    /** One process, nothing to sum. */
    GradientSync SINGLE = new GradientSync() {
        @Override public int rank() { return 0; }
        @Override public int size() { return 1; }
        @Override public void allReduceSum(float[] data, int off, int len) {}
        @Override public double allReduceSum(double v) { return v; }
    };
}
