package lwm.model.parallel;

/**
 * The seam of distributed decoding: the KV cache is split over ranks (each holds a shard of the
 * tokens), every rank attends the same new queries over its own shard, and this combines the partial
 * results into attention over the whole cache. The model computes the partials; the ring module
 * implements the exchange (a log-sum-exp merge of every rank's partial). Collective: every rank makes
 * the same calls in the same order.
 */
public interface ShardMerge {
    /**
     * In place: {@code out} [rows, headDim] and {@code lse} [rows] (natural log; -inf where this shard has no
     * visible key) become the attention over every rank's shard, identical on every rank.
     */
    void merge(float[] out, float[] lse, int rows, int headDim);
}
