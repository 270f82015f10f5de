package lwm.model.parallel;

import lwm.kernels.AttentionArgs;

/**
 * Attention as one rank sees it: its local queries against the keys/values of the whole (possibly
 * distributed) sequence. The model calls this seam and never knows whether the other key/value
 * blocks live in this process ({@link LocalAttention}) or travel around a ring of ranks
 * (the {@code ring} module). Masks come from the positions and segment ids inside the arguments.
 */
public interface AttentionOp {

    /** Writes out and lse for the local queries of {@code local} (local q, local k and v). */
    void forward(AttentionArgs local);

    /**
     * Accumulates dq for the local queries and dk, dv for the local keys/values, including the
     * contributions of every other rank's queries. Layouts as in {@code Kernels.attentionBackward}.
     */
    void backward(AttentionArgs local, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv);

    /**
     * Whether the local queries may be a subset of the local keys' rows (tokensQ != tokensK, with their own
     * positions and segment ids). Ops that reshard queries and keys together (Ulysses) say no.
     */
    default boolean acceptsQuerySubset() { return true; }
}
