package lwm.kernels;

import lwm.tensor.Tensor;

/**
 * The fast CPU backend: every kernel vectorised with the Vector API (jdk.incubator.vector) and spread
 * over a fixed pool of worker threads (all cores by default). Results equal {@link ScalarKernels}
 * up to f32 rounding; the tests in this module hold it to that on random inputs.
 *
 * <p>Results are bit-reproducible: a function of the inputs and the vector width only, never of JIT warm-up,
 * thread count or scheduling (each output element has one writer and a fixed summation order; lane sums and
 * exp go through {@link Lanes}). Interrupted training therefore resumes bit for bit on the same machine type.
 *
 * <p>Close it to stop its worker threads (they are daemons, so forgetting is harmless in a CLI run).
 */
public final class VectorKernels implements Kernels, AutoCloseable {
    private final Parallel par;

    /** Uses every available processor. */
    public VectorKernels() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public VectorKernels(int threads) {
        this.par = new Parallel(threads);
    }

    public int threads() { return par.threads(); }

    @Override
    public String name() { return "vector(" + par.threads() + (par.threads() == 1 ? " thread)" : " threads)"); }

    @Override
    public void close() { par.close(); }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        Gemm.multiply(par, new Gemm.AOperand(a, aOff, k, 1), new Gemm.ArrayB(b, bOff, n, 1), c, cOff, m, n, k, accumulate);
    }

    @Override
    public void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        Gemm.multiply(par, new Gemm.AOperand(a, aOff, k, 1), new Gemm.ArrayB(b, bOff, 1, k), c, cOff, m, n, k, accumulate);
    }

    @Override
    public void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        Gemm.multiply(par, new Gemm.AOperand(a, aOff, 1, m), new Gemm.ArrayB(b, bOff, n, 1), c, cOff, m, n, k, accumulate);
    }

    @Override
    public void batchedMatmul(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] c, int cOff, int cStride,
                              int batch, int m, int n, int k) {
        // Enough items to feed every worker: one single-threaded product per item. Otherwise each item in turn, in parallel.
        if (batch >= 2 * par.threads())
            par.forEach(batch, t -> Gemm.multiply(null, new Gemm.AOperand(a, aOff + t * aStride, k, 1),
                    new Gemm.ArrayB(b, bOff + t * bStride, n, 1), c, cOff + t * cStride, m, n, k, false));
        else
            for (int t = 0; t < batch; t++)
                matmul(a, aOff + t * aStride, b, bOff + t * bStride, c, cOff + t * cStride, m, n, k, false);
    }

    @Override
    public void linear(float[] x, int xOff, Tensor w, float[] y, int yOff, int rows, int out, int in) {
        LinearKernel.linear(par, x, xOff, w, y, yOff, rows, out, in);
    }

    // ---------------------------------------------------------------- element-wise and row ops

    @Override
    public void rmsNorm(float[] x, int xOff, Tensor w, float[] out, int outOff, int rows, int dim, float eps) {
        RowKernels.rmsNorm(par, x, xOff, w, out, outOff, rows, dim, eps);
    }

    @Override
    public void rmsNormBackward(float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                                int rows, int dim, float eps) {
        RowKernels.rmsNormBackward(par, x, xOff, w, dy, dyOff, dx, dxOff, dw, rows, dim, eps);
    }

    @Override
    public void rope(float[] x, int xOff, int tokens, int heads, int headDim, int[] positions, int posOff, double theta,
                     RopeStyle style, boolean inverse) {
        RowKernels.rope(par, x, xOff, tokens, heads, headDim, positions, posOff, theta, style, inverse);
    }

    @Override
    public void softmax(float[] x, int off, int rows, int cols) {
        RowKernels.softmax(par, x, off, rows, cols);
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        RowKernels.swiglu(par, gate, gOff, up, uOff, out, oOff, n);
    }

    @Override
    public void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, float[] dUp, int n) {
        RowKernels.swigluBackward(par, gate, gOff, up, uOff, dOut, dOff, dGate, dUp, n);
    }

    @Override
    public void embedding(Tensor table, int[] ids, int idsOff, int count, float[] out, int outOff) {
        RowKernels.embedding(par, table, ids, idsOff, count, out, outOff);
    }

    @Override
    public void crossEntropy(float[] logits, int off, int rows, int vocab, int[] targets, int tOff, float[] nll, float[] lse,
                             float[] dlogits, float[] rowWeight) {
        RowKernels.crossEntropy(par, logits, off, rows, vocab, targets, tOff, nll, lse, dlogits, rowWeight);
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attentionForward(AttentionArgs a) {
        BlockAttention.forward(par, a);
    }

    @Override
    public void attentionBackward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        BlockAttention.backward(par, a, dOut, delta, dq, dk, dv);
    }

    @Override
    public void attentionDelta(float[] out, float[] dOut, float[] delta, int tokens, int heads, int headDim) {
        BlockAttention.delta(par, out, dOut, delta, tokens, heads, headDim);
    }
}
