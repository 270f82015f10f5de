package lwm.model;

/**
 * The forward pass bound to one sequence's KV cache: what {@link Generator} and the logits command drive.
 * The cache is host pages ({@link LlamaModel#on}) or device buffers ({@link lwm.model.opencl.ClLlamaModel});
 * either way a call runs the given tokens after the cached ones and appends their keys/values.
 */
public interface CachedForward {
    LlamaConfig config();

    /** Runs {@code ids} at {@code positions} after the cached tokens; logits as {@link LlamaModel#forward}. */
    float[] forward(int[] ids, int[] positions, LlamaModel.Logits which);

    /** Tokens in the cache. */
    int length();

    /** Tokens the cache can hold. */
    int capacity();

    /** Keeps the first {@code tokens} cached tokens (a conversation rewound to a common prefix). */
    void truncate(int tokens);
}
