package lwm.kernels;

/**
 * Arguments of one blockwise attention call: local queries against one key/value block. Masks are
 * given by absolute positions and segment ids, which is what lets the same kernel serve one rank,
 * every ring layout (contiguous, zigzag, striped) and packed sequences:
 * key j is visible to query i iff (!causal || kPos[j] <= qPos[i]) && (qSeg == null || qSeg[i] == kSeg[j]).
 *
 * <p>Shapes: q[tokensQ, heads, headDim], k and v [tokensK, kvHeads, headDim], out[tokensQ, heads, headDim],
 * lse[tokensQ, heads]. scale is usually 1/sqrt(headDim).
 */
public record AttentionArgs(
        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
        float[] out, int outOff, float[] lse, int lseOff,
        int tokensQ, int tokensK, int heads, int kvHeads, int headDim,
        int[] qPos, int[] kPos, int[] qSeg, int[] kSeg,
        boolean causal, float scale, int blockQ, int blockK) {

    public AttentionArgs {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kvHeads " + kvHeads);
        if (blockQ <= 0 || blockK <= 0) throw new IllegalArgumentException("block sizes must be positive");
        if (qPos.length < tokensQ || kPos.length < tokensK) throw new IllegalArgumentException("position arrays shorter than the token counts");
        if ((qSeg == null) != (kSeg == null)) throw new IllegalArgumentException("give both segment arrays or neither");
    }
}
