package lwm.kernels.opencl;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.tensor.Tensor;

/**
 * {@link Kernels} on an OpenCL device through host arrays: each call uploads its inputs, runs the
 * device kernels of {@link ClOps} and reads the outputs back. This is the compatibility and test surface;
 * code that chains many kernels (a model forward, a training step) should hold {@link ClBuffer}s and call
 * {@link ClOps} directly so that nothing leaves the device between kernels.
 */
public final class OpenClKernels implements Kernels, AutoCloseable {
    private final ClContext ctx;
    private final ClOps ops;

    /** Opens device {@code opencl:index} and compiles every kernel for it (errors throw, no fallback). */
    public OpenClKernels(int deviceIndex) {
        this(ClContext.open(deviceIndex));
    }

    public OpenClKernels(ClContext ctx) { this(ctx, ClOps.DEFAULT_LAYOUT); }

    public OpenClKernels(ClContext ctx, ClOps.Layout layout) {
        this.ctx = ctx;
        this.ops = new ClOps(ctx, layout);
    }

    public ClOps ops() { return ops; }

    @Override
    public String name() { return "opencl(" + ctx.device().name() + ")"; }

    // ---------------------------------------------------------------- transfers

    private ClBuffer up(float[] a, int off, long n) {
        ClBuffer b = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n));
        return b.write(a, off, 0, (int) n);
    }

    private ClBuffer up(int[] a, int off, long n) {
        ClBuffer b = ctx.alloc(ClBuffer.Type.I32, Math.max(1, n));
        return b.write(a, off, 0, (int) n);
    }

    private ClBuffer zeros(long n) { return ctx.alloc(ClBuffer.Type.F32, Math.max(1, n)).fill(0f, 0, Math.max(1, n)); }

    private static int size(long n) {
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("operand of " + n + " elements too large");
        return (int) n;
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public synchronized void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        product(a, aOff, b, bOff, c, cOff, m, n, k, false, false, accumulate);
    }

    @Override
    public synchronized void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        product(a, aOff, b, bOff, c, cOff, m, n, k, false, true, accumulate);
    }

    @Override
    public synchronized void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        product(a, aOff, b, bOff, c, cOff, m, n, k, true, false, accumulate);
    }

    private void product(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                         boolean tA, boolean tB, boolean acc) {
        int cn = size((long) m * n);
        try (ClBuffer da = up(a, aOff, (long) m * k); ClBuffer db = up(b, bOff, (long) k * n);
             ClBuffer dc = acc ? up(c, cOff, cn) : ctx.alloc(ClBuffer.Type.F32, Math.max(1, cn))) {
            ops.matmul(da, 0, db, 0, dc, 0, m, n, k, tA, tB, acc);
            dc.read(0, c, cOff, cn);
        }
    }

    @Override
    public synchronized void batchedMatmul(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, float[] c, int cOff,
                                           int cStride, int batch, int m, int n, int k) {
        if (batch == 0) return;
        long aLen = (long) (batch - 1) * aStride + (long) m * k, bLen = (long) (batch - 1) * bStride + (long) k * n;
        long cLen = (long) (batch - 1) * cStride + (long) m * n;
        try (ClBuffer da = up(a, aOff, size(aLen)); ClBuffer db = up(b, bOff, size(bLen)); ClBuffer dc = up(c, cOff, size(cLen))) {
            ops.batchedMatmul(da, 0, aStride, db, 0, bStride, dc, 0, cStride, batch, m, n, k);
            // only the C blocks are overwritten; gaps between them keep the caller's values
            for (int t = 0; t < batch; t++) dc.read((long) t * cStride, c, cOff + t * cStride, size((long) m * n));
        }
    }

    @Override
    public synchronized void linear(float[] x, int xOff, Tensor w, float[] y, int yOff, int rows, int out, int in) {
        if (w.rank() != 2 || w.dim(0) != out || w.dim(1) != in)
            throw new IllegalArgumentException("weight " + w + " is not [" + out + ", " + in + "]");
        ClWeight dw = ops.upload(w);
        try (ClBuffer dx = up(x, xOff, (long) rows * in); ClBuffer dy = ctx.alloc(ClBuffer.Type.F32, Math.max(1, (long) rows * out))) {
            ops.linear(dx, 0, dw, dy, 0, rows, out, in);
            dy.read(0, y, yOff, size((long) rows * out));
        } finally {
            dw.data().close();
        }
    }

    // ---------------------------------------------------------------- element-wise and row ops

    @Override
    public synchronized void rmsNorm(float[] x, int xOff, Tensor w, float[] out, int outOff, int rows, int dim, float eps) {
        if (w.numel() != dim) throw new IllegalArgumentException("norm weight " + w + " is not [" + dim + "]");
        ClWeight dw = ops.upload(w);
        int n = size((long) rows * dim);
        try (ClBuffer dx = up(x, xOff, n); ClBuffer dout = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n))) {
            ops.rmsNorm(dx, 0, dw, dout, 0, rows, dim, eps);
            dout.read(0, out, outOff, n);
        } finally {
            dw.data().close();
        }
    }

    @Override
    public synchronized void rmsNormBackward(float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                                             int rows, int dim, float eps) {
        int n = size((long) rows * dim);
        try (ClBuffer bx = up(x, xOff, n); ClBuffer bw = up(w, 0, dim); ClBuffer bdy = up(dy, dyOff, n);
             ClBuffer bdx = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n)); ClBuffer bdw = up(dw, 0, dim)) {
            ops.rmsNormBackward(bx, 0, bw, bdy, 0, bdx, 0, bdw, rows, dim, eps);
            bdx.read(0, dx, dxOff, n);
            bdw.read(0, dw, 0, dim);
        }
    }

    @Override
    public synchronized void rope(float[] x, int xOff, int tokens, int heads, int headDim, int[] positions, int posOff, double theta,
                                  RopeStyle style, boolean inverse) {
        int n = size((long) tokens * heads * headDim);
        try (ClBuffer bx = up(x, xOff, n); ClBuffer bp = up(positions, posOff, tokens)) {
            ops.rope(bx, 0, tokens, heads, headDim, bp, 0, theta, style, inverse);
            bx.read(0, x, xOff, n);
        }
    }

    @Override
    public synchronized void softmax(float[] x, int off, int rows, int cols) {
        int n = size((long) rows * cols);
        try (ClBuffer bx = up(x, off, n)) {
            ops.softmax(bx, 0, rows, cols);
            bx.read(0, x, off, n);
        }
    }

    @Override
    public synchronized void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        try (ClBuffer g = up(gate, gOff, n); ClBuffer u = up(up, uOff, n); ClBuffer o = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n))) {
            ops.swiglu(g, 0, u, 0, o, 0, n);
            o.read(0, out, oOff, n);
        }
    }

    @Override
    public synchronized void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate,
                                            float[] dUp, int n) {
        try (ClBuffer g = up(gate, gOff, n); ClBuffer u = up(up, uOff, n); ClBuffer d = up(dOut, dOff, n);
             ClBuffer dg = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n)); ClBuffer du = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n))) {
            ops.swigluBackward(g, 0, u, 0, d, 0, dg, du, n);
            dg.read(0, dGate, 0, n);
            du.read(0, dUp, 0, n);
        }
    }

    @Override
    public synchronized void embedding(Tensor table, int[] ids, int idsOff, int count, float[] out, int outOff) {
        int vocab = (int) table.dim(0), dim = (int) table.dim(1);
        for (int t = 0; t < count; t++) {
            int id = ids[idsOff + t];
            if (id < 0 || id >= vocab)
                throw new IllegalArgumentException("token id " + id + " at position " + t + " outside vocabulary [0, " + vocab + ")");
        }
        ClWeight w = ops.upload(table);
        int n = size((long) count * dim);
        try (ClBuffer bi = up(ids, idsOff, count); ClBuffer bo = ctx.alloc(ClBuffer.Type.F32, Math.max(1, n))) {
            ops.embedding(w, vocab, dim, bi, 0, count, bo, 0);
            bo.read(0, out, outOff, n);
        } finally {
            w.data().close();
        }
    }

    @Override
    public synchronized void crossEntropy(float[] logits, int off, int rows, int vocab, int[] targets, int tOff, float[] nll, float[] lse,
                                          float[] dlogits, float[] rowWeight) {
        for (int r = 0; r < rows; r++)
            if (targets[tOff + r] >= vocab)
                throw new IllegalArgumentException("target id " + targets[tOff + r] + " at row " + r + " outside vocabulary [0, " + vocab + ")");
        int n = size((long) rows * vocab);
        try (ClBuffer bl = up(logits, off, n); ClBuffer bt = up(targets, tOff, rows); ClBuffer bn = zeros(rows); ClBuffer bs = zeros(rows);
             ClBuffer bd = dlogits == null ? null : ctx.alloc(ClBuffer.Type.F32, Math.max(1, n));
             ClBuffer bw = dlogits == null ? null : up(rowWeight, 0, rows)) {
            ops.crossEntropy(bl, 0, rows, vocab, bt, 0, bn, bs, bd, bw);
            bn.read(0, nll, 0, rows);
            bs.read(0, lse, 0, rows);
            if (bd != null) bd.read(0, dlogits, 0, n);
        }
    }

    // ---------------------------------------------------------------- attention

    /** Uploaded copies of one AttentionArgs; closes them all. */
    private final class Staged implements AutoCloseable {
        final ClBuffer q, k, v, out, lse, qPos, kPos, qSeg, kSeg;
        final ClAttention args;

        Staged(AttentionArgs a, boolean withOut) {
            int H = a.heads(), Hk = a.kvHeads(), D = a.headDim();
            q = up(a.q(), a.qOff(), (long) a.tokensQ() * H * D);
            k = up(a.k(), a.kOff(), (long) a.tokensK() * Hk * D);
            v = up(a.v(), a.vOff(), (long) a.tokensK() * Hk * D);
            out = withOut ? up(a.out(), a.outOff(), (long) a.tokensQ() * H * D) : ctx.alloc(ClBuffer.Type.F32, Math.max(1, (long) a.tokensQ() * H * D));
            lse = withOut ? up(a.lse(), a.lseOff(), (long) a.tokensQ() * H) : ctx.alloc(ClBuffer.Type.F32, Math.max(1, (long) a.tokensQ() * H));
            qPos = up(a.qPos(), 0, a.tokensQ());
            kPos = up(a.kPos(), 0, a.tokensK());
            qSeg = a.qSeg() == null ? null : up(a.qSeg(), 0, a.tokensQ());
            kSeg = a.kSeg() == null ? null : up(a.kSeg(), 0, a.tokensK());
            args = new ClAttention(q, 0, k, 0, v, 0, out, 0, lse, 0, a.tokensQ(), a.tokensK(), H, Hk, D, qPos, kPos, qSeg, kSeg,
                    a.causal(), a.scale());
        }

        @Override
        public void close() {
            for (ClBuffer b : new ClBuffer[] {q, k, v, out, lse, qPos, kPos, qSeg, kSeg}) if (b != null) b.close();
        }
    }

    @Override
    public synchronized void attentionForward(AttentionArgs a) {
        try (Staged s = new Staged(a, false)) {
            ops.attentionForward(s.args);
            s.out.read(0, a.out(), a.outOff(), size((long) a.tokensQ() * a.heads() * a.headDim()));
            s.lse.read(0, a.lse(), a.lseOff(), size((long) a.tokensQ() * a.heads()));
        }
    }

    @Override
    public synchronized void attentionBackward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        int nq = size((long) a.tokensQ() * a.heads() * a.headDim()), nk = size((long) a.tokensK() * a.kvHeads() * a.headDim());
        try (Staged s = new Staged(a, true); ClBuffer bd = up(dOut, 0, nq); ClBuffer bdel = up(delta, 0, (long) a.tokensQ() * a.heads());
             ClBuffer bdq = up(dq, 0, nq); ClBuffer bdk = up(dk, 0, nk); ClBuffer bdv = up(dv, 0, nk)) {
            ops.attentionBackward(s.args, bd, bdel, bdq, bdk, bdv);
            bdq.read(0, dq, 0, nq);
            bdk.read(0, dk, 0, nk);
            bdv.read(0, dv, 0, nk);
        }
    }

    @Override
    public synchronized void attentionDelta(float[] out, float[] dOut, float[] delta, int tokens, int heads, int headDim) {
        int n = size((long) tokens * heads * headDim);
        try (ClBuffer bo = up(out, 0, n); ClBuffer bd = up(dOut, 0, n); ClBuffer bdel = ctx.alloc(ClBuffer.Type.F32, Math.max(1, (long) tokens * heads))) {
            ops.attentionDelta(bo, bd, bdel, tokens, heads, headDim);
            bdel.read(0, delta, 0, tokens * heads);
        }
    }

    @Override
    public synchronized void close() {
        ops.close();
        ctx.close();
    }
}
