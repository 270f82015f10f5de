package lwm.model.parallel;

/**
 * Which tokens of a (packed) row of {@code seqLen} tokens this rank holds, in the order it holds
 * them: contiguous blocks, zigzag (causal load balancing) or striped. The ring module provides the
 * layouts; {@link #WHOLE} is the single-rank case.
 */
@FunctionalInterface
public interface TokenPartition {
    /** Global indices, ascending within each block; together over all ranks a permutation of 0..seqLen-1. */
    int[] localTokens(int seqLen);

    TokenPartition WHOLE = seqLen -> {
        int[] all = new int[seqLen];
        for (int i = 0; i < seqLen; i++) all[i] = i;
        return all;
    };
}
