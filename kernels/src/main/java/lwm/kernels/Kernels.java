package lwm.kernels;

import lwm.tensor.Tensor;

/**
 * The compute primitives of a LLaMA-family transformer, forward and backward. Implementations:
 * {@code ScalarKernels} (plain loops, the reference every other backend is tested against),
 * {@code VectorKernels} (Vector API, all cores) and the OpenCL backend.
 *
 * <p>Conventions, shared by every implementation:
 * <ul>
 *   <li>Activations are row-major {@code float[]} with an element offset, so a caller can address one
 *       layer's slice of a larger buffer without copying. Kernels never allocate O(sequence^2).</li>
 *   <li>Weights that come from checkpoints are {@link Tensor}s in their stored dtype (f32, bf16, f16),
 *       laid out like {@code torch.nn.Linear.weight}: {@code [out, in]} row-major. They are widened to
 *       f32 inside the inner loop, never converted up front.</li>
 *   <li>Attention tensors are {@code [tokens, heads, headDim]} row-major. Grouped-query attention:
 *       query head h reads key/value head {@code h / (heads / kvHeads)}.</li>
 *   <li>Outputs are fully overwritten unless the method says it accumulates.</li>
 * </ul>
 */
public interface Kernels {

    /** Human-readable name for reports, e.g. "vector(2 threads)". */
    String name();

    // ---------------------------------------------------------------- matrix products

    /** C[m,n] (+)= A[m,k] . B[k,n]; all row-major f32. {@code accumulate} adds to C instead of overwriting. */
    void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate);

    /** C[m,n] (+)= A[m,k] . B[n,k]^T (B given row-major as [n,k]). */
    void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate);

    /** C[m,n] (+)= A[k,m]^T . B[k,n] (A given row-major as [k,m]); the weight-gradient product. */
    void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate);

    /** batch independent matmuls: C_i = A_i . B_i with the given element strides between batch items. */
    void batchedMatmul(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] c, int cOff, int cStride,
                       int batch, int m, int n, int k);

    /**
     * y[rows, out] = x[rows, in] . W^T for a checkpoint weight W of shape [out, in] in f32, bf16 or f16
     * (the projection of every Linear layer). Rows = 1 is the decode path and must run at memory speed.
     */
    void linear(float[] x, int xOff, Tensor w, float[] y, int yOff, int rows, int out, int in);

    // ---------------------------------------------------------------- element-wise and row ops

    /** out[r,:] = x[r,:] / sqrt(mean(x[r,:]^2) + eps) * w; w is f32/bf16/f16 of length dim. */
    void rmsNorm(float[] x, int xOff, Tensor w, float[] out, int outOff, int rows, int dim, float eps);

    /**
     * Backward of {@link #rmsNorm} for f32 weights: dx (overwritten) and dw (accumulated) from dy.
     */
    void rmsNormBackward(float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                         int rows, int dim, float eps);

    /**
     * Rotary embedding in place on x[tokens, heads, headDim] with the given absolute position of each
     * token and base theta. {@code style} chooses the pairing (HF rotate-half or GPT-J interleaved).
     * {@code inverse=true} rotates by the negative angle (the backward pass).
     */
    void rope(float[] x, int xOff, int tokens, int heads, int headDim, int[] positions, int posOff, double theta,
              RopeStyle style, boolean inverse);

    /** Softmax over each row of x[rows, cols], in place. */
    void softmax(float[] x, int off, int rows, int cols);

    /** out = silu(gate) * up, element-wise over n values. */
    void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n);

    /** dGate, dUp (overwritten) from dOut for {@link #swiglu}. */
    void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, float[] dUp, int n);

    /** out[i, :] = table[ids[i], :] for a [vocab, dim] table in any float dtype; ids out of range throw. */
    void embedding(Tensor table, int[] ids, int idsOff, int count, float[] out, int outOff);

    /**
     * Cross-entropy of logits[rows, vocab] against targets (target < 0 = ignored row). Writes the
     * per-row negative log-likelihood (0 for ignored rows) and per-row log-sum-exp; when {@code dlogits}
     * is not null it receives softmax - onehot scaled by {@code rowWeight[r]} (0 for ignored rows).
     */
    void crossEntropy(float[] logits, int off, int rows, int vocab, int[] targets, int tOff, float[] nll, float[] lse,
                      float[] dlogits, float[] rowWeight);

    // ---------------------------------------------------------------- attention

    /**
     * Blockwise attention forward with online softmax; memory O(blockQ x blockK) per worker.
     * O is normalised; lse[tokensQ, heads] is the natural-log log-sum-exp of the scaled scores of each
     * row (-inf and O = 0 for a row that sees no key). See {@link AttentionArgs} for masks.
     */
    void attentionForward(AttentionArgs a);

    /**
     * Flash-style backward: recomputes probabilities from the saved (global) lse, never S x S, and
     * ACCUMULATES into dq, dk, dv (callers zero them once), so a ring can add the contributions of each
     * hop. {@code delta[i,h] = sum(dO*O)} is computed by the caller with {@link #attentionDelta} once per
     * row. Layouts: dOut, dq [tokensQ, heads, headDim], delta [tokensQ, heads], dk, dv
     * [tokensK, kvHeads, headDim], all starting at index 0 (only q, k, v, out, lse take offsets).
     */
    void attentionBackward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv);

    /** delta[t,h] = sum_d dOut[t,h,d] * out[t,h,d]. */
    void attentionDelta(float[] out, float[] dOut, float[] delta, int tokens, int heads, int headDim);
}
