package lwm.kernels.opencl;

/**
 * Device-resident arguments of one attention call, the counterpart of {@link lwm.kernels.AttentionArgs}:
 * q [tokensQ, heads, headDim], k and v [tokensK, kvHeads, headDim], out like q, lse [tokensQ, heads];
 * positions and (optional, both or neither) segment ids of queries and keys give the masks.
 */
public record ClAttention(ClBuffer q, int qOff, ClBuffer k, int kOff, ClBuffer v, int vOff,
                          ClBuffer out, int outOff, ClBuffer lse, int lseOff,
                          int tokensQ, int tokensK, int heads, int kvHeads, int headDim,
                          ClBuffer qPos, ClBuffer kPos, ClBuffer qSeg, ClBuffer kSeg, boolean causal, float scale) {
    public ClAttention {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kvHeads " + kvHeads);
        if (headDim > 128) throw new IllegalArgumentException("the OpenCL attention kernels take headDim <= 128, got " + headDim);
        if ((qSeg == null) != (kSeg == null)) throw new IllegalArgumentException("give both segment arrays or neither");
    }
}
