package lwm.kernels.opencl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lwm.kernels.RopeStyle;
import lwm.kernels.ScalarKernels;
import lwm.tensor.DType;
import lwm.tensor.Tensor;

/**
 * The device-resident operations: every argument is a {@link ClBuffer} that stays on the device, so a whole
 * forward/backward chains kernels without host round trips (the in-order queue orders them). Offsets and
 * sizes are in elements, with the same meaning as in {@link lwm.kernels.Kernels}. Every kernel is translated
 * and compiled for the device when this object is created: a kernel the device cannot compile fails here,
 * at start-up, never later and never by falling back to another backend.
 */
public final class ClOps implements AutoCloseable {
    static final List<Class<? extends ClKernel>> KERNELS = List.of(MatmulKernel.class, AttentionForwardKernel.class,
            AttentionBackwardQKernel.class, AttentionBackwardKvKernel.class, AttentionDeltaKernel.class,
            RmsNormKernel.class, RmsNormBackwardKernel.class, RmsNormDwKernel.class, RopeKernel.class, SoftmaxKernel.class,
            SwigluKernel.class, EmbeddingKernel.class, CrossEntropyKernel.class, AdamWKernel.class,
            MatmulWideKernel.class, AttentionForwardWideKernel.class, AxpyKernel.class, MatmulVecKernel.class, MatmulVecDbKernel.class,
            EmbeddingGradKernel.class, SquaredNormKernel.class);

    /** Which register-tile layout the matmul and attention-forward kernels use (both give the same results). */
    public enum Layout {
        /** rows and columns of a work-item strided by 16: scalar local reads ({@link MatmulKernel}, {@link AttentionForwardKernel}) */
        STRIDED,
        /** consecutive rows and columns, static local arrays: wide local reads ({@link MatmulWideKernel}, {@link AttentionForwardWideKernel}) */
        WIDE,
        /** WIDE with the matmul's local tiles read as float4 ({@link MatmulVecKernel}); attention as in WIDE */
        VECTOR,
        /** VECTOR with double-buffered local tiles, one barrier per k-tile ({@link MatmulVecDbKernel}); attention as in WIDE */
        VECTOR_DB
    }

    private final ClContext ctx;
    private final Layout layout;
    private final ClBuffer noF, noI, noS;
    private final Map<String, ClBuffer> invFreq = new HashMap<>();
    private ClBuffer rinv;

    /** The default layout is {@link Layout#VECTOR_DB}: on the H200 its matmul ran 0.71x cuBLAS against WIDE's 0.63x (run 4, bench/gpu/RESULTS.md); attention as in WIDE. */
    public ClOps(ClContext ctx) { this(ctx, DEFAULT_LAYOUT); }

    public static final Layout DEFAULT_LAYOUT = Layout.VECTOR_DB;

    public ClOps(ClContext ctx, Layout layout) {
        this.ctx = ctx;
        this.layout = layout;
        for (Class<? extends ClKernel> k : KERNELS) ctx.program(k);
        // stand-ins bound to parameters a call does not use (OpenCL wants every argument set)
        noF = ctx.alloc(ClBuffer.Type.F32, 1);
        noI = ctx.alloc(ClBuffer.Type.I32, 1);
        noS = ctx.alloc(ClBuffer.Type.I16, 1);
    }

    public ClContext context() { return ctx; }

    public Layout layout() { return layout; }

    // ---------------------------------------------------------------- weights

    /** Uploads a checkpoint weight in its stored dtype (row-major order of the view). */
    public ClWeight upload(Tensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("weight " + t + " too large for one buffer");
        return switch (t.dtype()) {
            case F32 -> new ClWeight(ctx.upload(t.toFloatArray()), ClWeight.Kind.F32, 0);
            case BF16, F16 -> new ClWeight(ctx.upload(rawShorts(t)), t.dtype() == DType.BF16 ? ClWeight.Kind.BF16 : ClWeight.Kind.F16, 0);
            default -> throw new IllegalArgumentException("weight " + t + " is not a float tensor");
        };
    }

    static short[] rawShorts(Tensor t) {
        int n = (int) t.numel();
        MemorySegment seg = t.segment();
        if (t.isContiguous()) return seg.asSlice(t.offset() * 2, n * 2L).toArray(ValueLayout.JAVA_SHORT_UNALIGNED);
        short[] out = new short[n];
        long[] shape = t.shape(), idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            long e = t.offset();
            for (int d = 0; d < idx.length; d++) e += idx[d] * t.stride(d);
            out[i] = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, e * 2);
            for (int d = idx.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        return out;
    }

    // ---------------------------------------------------------------- matrix products

    /** C[m,n] (+)= op(A) . op(B); transA: A stored [k,m]; transB: B stored [n,k]. */
    public void matmul(ClBuffer a, int aOff, ClBuffer b, int bOff, ClBuffer c, int cOff, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate) {
        gemm(a, aOff, 0, b, ClWeight.Kind.F32, bOff, 0, c, cOff, 0, 1, m, n, k, transA, transB, accumulate);
    }

    public void batchedMatmul(ClBuffer a, int aOff, int aStride, ClBuffer b, int bOff, int bStride, ClBuffer c, int cOff,
                              int cStride, int batch, int m, int n, int k) {
        gemm(a, aOff, aStride, b, ClWeight.Kind.F32, bOff, bStride, c, cOff, cStride, batch, m, n, k, false, false, false);
    }

    /** y[rows, out] = x[rows, in] . W^T for W [out, in] in its stored dtype. */
    public void linear(ClBuffer x, int xOff, ClWeight w, ClBuffer y, int yOff, int rows, int out, int in) {
        gemm(x, xOff, 0, w.data(), w.kind(), w.offset(), 0, y, yOff, 0, 1, rows, out, in, false, true, false);
    }

    private void gemm(ClBuffer a, int aOff, int aStride, ClBuffer b, ClWeight.Kind bKind, int bOff, int bStride,
                      ClBuffer c, int cOff, int cStride, int batch, int m, int n, int k,
                      boolean transA, boolean transB, boolean accumulate) {
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0) {
            if (!accumulate) for (int t = 0; t < batch; t++) c.fill(0f, cOff + (long) t * cStride, (long) m * n);
            return;
        }
        boolean f32 = bKind == ClWeight.Kind.F32;
        ctx.program(switch (layout) { case STRIDED -> MatmulKernel.class; case WIDE -> MatmulWideKernel.class; case VECTOR -> MatmulVecKernel.class; case VECTOR_DB -> MatmulVecDbKernel.class; }).launch()
                .buf("a", a).buf("b", f32 ? b : noF).buf("bh", f32 ? noS : b).buf("c", c)
                .i("aOff", aOff).i("bOff", bOff).i("cOff", cOff).i("aStride", aStride).i("bStride", bStride).i("cStride", cStride)
                .i("m", m).i("n", n).i("k", k).i("transA", transA ? 1 : 0).i("transB", transB ? 1 : 0)
                .i("bKind", bKind.code).i("accumulate", accumulate ? 1 : 0)
                .run(new long[] {blocks(n, MatmulKernel.TILE) * 16L, blocks(m, MatmulKernel.TILE) * 16L, batch}, new long[] {16, 16, 1});
    }

    // ---------------------------------------------------------------- row and element-wise ops

    public void rmsNorm(ClBuffer x, int xOff, ClWeight w, ClBuffer out, int outOff, int rows, int dim, float eps) {
        if (rows == 0) return;
        boolean f32 = w.kind() == ClWeight.Kind.F32;
        if (w.offset() != 0) throw new IllegalArgumentException("rmsNorm weights must start at offset 0");
        ctx.program(RmsNormKernel.class).launch().buf("x", x).buf("out", out).buf("w", f32 ? w.data() : noF)
                .buf("wh", f32 ? noS : w.data()).i("xOff", xOff).i("outOff", outOff).i("dim", dim).i("wKind", w.kind().code)
                .f("eps", eps).run(new long[] {rows * 256L}, new long[] {256});
    }

    /** dx overwritten, dw ACCUMULATED; f32 weights. */
    public void rmsNormBackward(ClBuffer x, int xOff, ClBuffer w, ClBuffer dy, int dyOff, ClBuffer dx, int dxOff, ClBuffer dw,
                                int rows, int dim, float eps) {
        if (rows == 0) return;
        if (rinv == null || rinv.length() < rows) {
            if (rinv != null) rinv.close();
            rinv = ctx.alloc(ClBuffer.Type.F32, Math.max(rows, 1024));
        }
        ctx.program(RmsNormBackwardKernel.class).launch().buf("x", x).buf("w", w).buf("dy", dy).buf("dx", dx).buf("rinv", rinv)
                .i("xOff", xOff).i("dyOff", dyOff).i("dxOff", dxOff).i("dim", dim).f("eps", eps)
                .run(new long[] {rows * 256L}, new long[] {256});
        ctx.program(RmsNormDwKernel.class).launch().buf("x", x).buf("dy", dy).buf("rinv", rinv).buf("dw", dw)
                .i("xOff", xOff).i("dyOff", dyOff).i("dim", dim).i("rows", rows).run(global(dim), new long[] {64});
    }

    public void rope(ClBuffer x, int xOff, int tokens, int heads, int headDim, ClBuffer positions, int posOff, double theta,
                     RopeStyle style, boolean inverse) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("rope needs an even headDim, got " + headDim);
        int work = tokens * heads * (headDim / 2);
        if (work == 0) return;
        ClBuffer f = invFreq.computeIfAbsent(theta + "/" + headDim, key -> {
            float[] t = new float[headDim / 2];
            for (int i = 0; i < t.length; i++) t[i] = (float) ScalarKernels.ropeInvFreq(theta, i, headDim);
            return ctx.upload(t);
        });
        ctx.program(RopeKernel.class).launch().buf("x", x).buf("invFreq", f).buf("positions", positions)
                .i("xOff", xOff).i("posOff", posOff).i("tokens", tokens).i("heads", heads).i("headDim", headDim)
                .i("interleaved", style == RopeStyle.INTERLEAVED ? 1 : 0).i("inverse", inverse ? 1 : 0)
                .run(global(work), new long[] {64});
    }

    public void softmax(ClBuffer x, int off, int rows, int cols) {
        if (rows == 0 || cols == 0) return;
        ctx.program(SoftmaxKernel.class).launch().buf("x", x).i("off", off).i("cols", cols)
                .run(new long[] {rows * 256L}, new long[] {256});
    }

    public void swiglu(ClBuffer gate, int gOff, ClBuffer up, int uOff, ClBuffer out, int oOff, int n) {
        if (n == 0) return;
        ctx.program(SwigluKernel.class).launch().buf("gate", gate).buf("up", up).buf("out", out).buf("dOut", noF)
                .buf("dGate", noF).buf("dUp", noF).i("gOff", gOff).i("uOff", uOff).i("oOff", oOff).i("dOff", 0).i("n", n)
                .i("backward", 0).run(global(n), new long[] {64});
    }

    /** dGate and dUp start at index 0, as in {@link lwm.kernels.Kernels#swigluBackward}. */
    public void swigluBackward(ClBuffer gate, int gOff, ClBuffer up, int uOff, ClBuffer dOut, int dOff, ClBuffer dGate,
                               ClBuffer dUp, int n) {
        if (n == 0) return;
        ctx.program(SwigluKernel.class).launch().buf("gate", gate).buf("up", up).buf("out", noF).buf("dOut", dOut)
                .buf("dGate", dGate).buf("dUp", dUp).i("gOff", gOff).i("uOff", uOff).i("oOff", 0).i("dOff", dOff).i("n", n)
                .i("backward", 1).run(global(n), new long[] {64});
    }

    /** out[t,:] = table[ids[t],:]; ids must be in [0, vocab) (an out-of-range id yields a NaN row). */
    public void embedding(ClWeight table, int vocab, int dim, ClBuffer ids, int idsOff, int count, ClBuffer out, int outOff) {
        if (count == 0) return;
        if (table.offset() != 0) throw new IllegalArgumentException("embedding table must start at offset 0");
        boolean f32 = table.kind() == ClWeight.Kind.F32;
        ctx.program(EmbeddingKernel.class).launch().buf("table", f32 ? table.data() : noF).buf("tableH", f32 ? noS : table.data())
                .buf("ids", ids).buf("out", out).i("idsOff", idsOff).i("count", count).i("dim", dim).i("vocab", vocab)
                .i("kind", table.kind().code).i("outOff", outOff).run(global(count * dim), new long[] {64});
    }

    /**
     * The embedding backward: dtable[ids[idsOff + t], :] += dy[dyOff + t*dim ..] for t < count (repeated ids add up,
     * in token order). With a zeroed [vocab, dim] target it is also a row scatter (the inverse of the gather
     * {@link #embedding} does).
     */
    public void embeddingBackward(ClBuffer dtable, int vocab, int dim, ClBuffer ids, int idsOff, int count, ClBuffer dy, int dyOff) {
        if (count == 0 || dim == 0) return;
        ctx.program(EmbeddingGradKernel.class).launch().buf("dtable", dtable).buf("dy", dy).buf("ids", ids)
                .i("idsOff", idsOff).i("count", count).i("dim", dim).i("vocab", vocab).i("dyOff", dyOff)
                .run(global(dim), new long[] {64});
    }

    /** Partial sums of squares {@link #sumOfSquares} writes per tensor. */
    public static final int SQUARE_PARTIALS = SquaredNormKernel.GROUPS;

    /**
     * Writes {@link #SQUARE_PARTIALS} partial sums of x[off..off+n)^2 to out[outOff..): their total is the squared
     * L2 norm (a global gradient norm reads back 32 floats per tensor, not the gradients).
     */
    public void sumOfSquares(ClBuffer x, int off, int n, ClBuffer out, int outOff) {
        if (n == 0) { out.fill(0f, outOff, SQUARE_PARTIALS); return; }
        ctx.program(SquaredNormKernel.class).launch().buf("x", x).buf("out", out).i("off", off).i("n", n).i("outOff", outOff)
                .run(new long[] {(long) SQUARE_PARTIALS * SquaredNormKernel.WG}, new long[] {SquaredNormKernel.WG});
    }

    /** nll, lse [rows]; dlogits [rows, vocab] from index 0, or null for no gradient (then rowWeight may be null). */
    public void crossEntropy(ClBuffer logits, int off, int rows, int vocab, ClBuffer targets, int tOff, ClBuffer nll, ClBuffer lse,
                             ClBuffer dlogits, ClBuffer rowWeight) {
        if (rows == 0) return;
        ctx.program(CrossEntropyKernel.class).launch().buf("logits", logits).buf("nll", nll).buf("lse", lse)
                .buf("dlogits", dlogits == null ? noF : dlogits).buf("rowWeight", rowWeight == null ? noF : rowWeight)
                .buf("targets", targets).i("off", off).i("vocab", vocab).i("tOff", tOff).i("hasGrad", dlogits == null ? 0 : 1)
                .run(new long[] {rows * 256L}, new long[] {256});
    }

    /** y[yOff..yOff+n) += alpha * x[xOff..xOff+n) (residual adds, gradient accumulation). */
    public void axpy(float alpha, ClBuffer x, int xOff, ClBuffer y, int yOff, int n) {
        if (n == 0) return;
        ctx.program(AxpyKernel.class).launch().buf("x", x).buf("y", y).i("xOff", xOff).i("yOff", yOff).i("n", n)
                .f("alpha", alpha).run(global(n), new long[] {64});
    }

    /** One AdamW step over n parameters from element off of p, g, m, v (PyTorch AdamW; step t counts from 1). */
    public void adamW(ClBuffer p, ClBuffer g, ClBuffer m, ClBuffer v, int off, int n, int step, float lr, float beta1,
                      float beta2, float eps, float weightDecay) {
        adamW(p, g, m, v, off, n, step, lr, beta1, beta2, eps, weightDecay, 1f);
    }

    /** {@link #adamW} on the gradients multiplied by {@code gradScale} (the global-norm clipping factor); g is not modified. */
    public void adamW(ClBuffer p, ClBuffer g, ClBuffer m, ClBuffer v, int off, int n, int step, float lr, float beta1,
                      float beta2, float eps, float weightDecay, float gradScale) {
        if (n == 0) return;
        if (step < 1) throw new IllegalArgumentException("AdamW step counts from 1, got " + step);
        ctx.program(AdamWKernel.class).launch().buf("p", p).buf("g", g).buf("m", m).buf("v", v).i("n", n).i("off", off)
                .f("lr", lr).f("beta1", beta1).f("beta2", beta2).f("eps", eps).f("weightDecay", weightDecay)
                .f("bc1", (float) (1 - Math.pow(beta1, step))).f("bc2", (float) (1 - Math.pow(beta2, step))).f("gradScale", gradScale)
                .run(global(n), new long[] {64});
    }

    // ---------------------------------------------------------------- attention

    public void attentionForward(ClAttention a) {
        if (a.tokensQ() == 0) return;
        ClProgram.Launch l = bindAttention(ctx.program(layout != Layout.STRIDED ? AttentionForwardWideKernel.class
                : AttentionForwardKernel.class).launch(), a)
                .buf("out", a.out()).i("outOff", a.outOff());
        // tokensK = 0: the kernel still runs and writes O = 0, lse = -inf for every row
        l.run(new long[] {blocks(a.tokensQ(), 64) * 16L, a.heads() * 16L}, new long[] {16, 16});
    }

    /** delta[t,h] = dot(out[t,h,:], dOut[t,h,:]); all from index 0. */
    public void attentionDelta(ClBuffer out, ClBuffer dOut, ClBuffer delta, int tokens, int heads, int headDim) {
        if (tokens * heads == 0) return;
        ctx.program(AttentionDeltaKernel.class).launch().buf("out", out).buf("dOut", dOut).buf("delta", delta)
                .i("rows", tokens * heads).i("headDim", headDim).run(global(tokens * heads), new long[] {64});
    }

    /** ACCUMULATES into dq [tokensQ, heads, headDim], dk, dv [tokensK, kvHeads, headDim] (all from index 0). */
    public void attentionBackward(ClAttention a, ClBuffer dOut, ClBuffer delta, ClBuffer dq, ClBuffer dk, ClBuffer dv) {
        if (a.tokensQ() == 0 || a.tokensK() == 0) return;
        bindAttention(ctx.program(AttentionBackwardQKernel.class).launch(), a).buf("dOut", dOut).buf("delta", delta).buf("dq", dq)
                .run(new long[] {blocks(a.tokensQ(), 64) * 16L, a.heads() * 16L}, new long[] {16, 16});
        bindAttention(ctx.program(AttentionBackwardKvKernel.class).launch(), a).buf("dOut", dOut).buf("delta", delta)
                .buf("dk", dk).buf("dv", dv)
                .run(new long[] {blocks(a.tokensK(), 64) * 16L, a.kvHeads() * 16L}, new long[] {16, 16});
    }

    private ClProgram.Launch bindAttention(ClProgram.Launch l, ClAttention a) {
        boolean seg = a.qSeg() != null;
        return l.buf("q", a.q()).buf("k", a.k()).buf("v", a.v()).buf("lse", a.lse())
                .buf("qPos", a.qPos()).buf("kPos", a.kPos()).buf("qSeg", seg ? a.qSeg() : noI).buf("kSeg", seg ? a.kSeg() : noI)
                .i("qOff", a.qOff()).i("kOff", a.kOff()).i("vOff", a.vOff()).i("lseOff", a.lseOff())
                .i("tokensQ", a.tokensQ()).i("tokensK", a.tokensK()).i("heads", a.heads()).i("kvHeads", a.kvHeads())
                .i("headDim", a.headDim()).i("causal", a.causal() ? 1 : 0).i("useSeg", seg ? 1 : 0).f("scale", a.scale());
    }

    // ----------------------------------------------------------------

    private static long blocks(int n, int b) { return Math.max(1, (n + b - 1) / b); }

    private static long[] global(int n) { return new long[] {blocks(n, 64) * 64}; }

    @Override
    public void close() {
        for (ClBuffer b : invFreq.values()) b.close();
        invFreq.clear();
        if (rinv != null) rinv.close();
        noF.close();
        noI.close();
        noS.close();
    }
}
