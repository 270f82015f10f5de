package lwm.model.opencl;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import lwm.kernels.opencl.ClAttention;
import lwm.kernels.opencl.ClBuffer;
import lwm.kernels.opencl.ClContext;
import lwm.kernels.opencl.ClDevice;
import lwm.kernels.opencl.ClOps;
import lwm.kernels.opencl.ClWeight;
import lwm.model.LlamaConfig;
import lwm.model.data.PackedRow;
import lwm.model.train.AdamW;
import lwm.model.train.LossWeighting;
import lwm.model.train.Param;
import lwm.model.train.TrainStep;
import lwm.model.train.TrainableLlama;
import lwm.model.train.Trainer;

/**
 * The training step of {@link lwm.model.train.Trainer} (one process, whole rows) with everything on the
 * OpenCL device: parameters, gradients and AdamW moments are uploaded once and stay in device buffers for
 * the trainer's life; a step uploads only each row's ids, positions, segment ids, scored-row list, targets
 * and loss weights, and reads back the scored rows' nll (the loss is summed on the host in double) and
 * {@link ClOps#SQUARE_PARTIALS} partial sums of squares per gradient tensor for the clipping norm.
 * {@link #download} copies parameters and moments into the host model and {@link AdamW} (checkpoints,
 * stage exports).
 *
 * <p>Same math as {@link TrainStep} without remat: activations of every layer are kept for the backward,
 * the feed-forward runs over {@code mlpChunk} tokens and is recomputed in the backward, logits exist for
 * {@code lmChunk} scored rows at a time (rows without weight are never scored). The attention kernels use
 * their own tiles: {@code blockQ}/{@code blockK} do not apply. AdamW as {@link AdamW#update}: global-norm
 * clipping (folded into the update kernel as a gradient scale), bias correction, decoupled weight decay on
 * matrices only.
 */
public final class ClTrainer implements AutoCloseable {
    private final TrainableLlama model;
    private final AdamW adam;
    private final ClOps ops;
    private final ClContext ctx;
    private final TrainStep.Options opt;
    private final LossWeighting weighting;
    private final List<Param> params;
    private final Map<Param, Integer> index = new IdentityHashMap<>();
    private final ClBuffer[] p, g, m, v;
    private final ClBuffer partials;

    /** {@code adam} must be over {@code model.params()} (its moments and step are uploaded as they are, for resuming). */
    /** Whether the host model and AdamW hold what the device holds (true after the upload and after a download). */
    private boolean hostCurrent;

    public ClTrainer(TrainableLlama model, AdamW adam, ClOps ops, TrainStep.Options options, LossWeighting weighting) {
        this.model = model;
        this.adam = adam;
        this.ops = ops;
        this.ctx = ops.context();
        this.opt = options;
        this.weighting = weighting;
        this.params = model.params();
        LlamaConfig c = model.config();
        if (c.headDim() > 128) throw new IllegalArgumentException("the OpenCL attention kernels take head_dim <= 128, got " + c.headDim());
        int n = params.size();
        p = new ClBuffer[n];
        g = new ClBuffer[n];
        m = new ClBuffer[n];
        v = new ClBuffer[n];
        for (int i = 0; i < n; i++) {
            Param q = params.get(i);
            index.put(q, i);
            p[i] = ctx.upload(q.data);
            g[i] = ctx.alloc(ClBuffer.Type.F32, q.size());
            m[i] = ctx.upload(adam.firstMoment(i));
            v[i] = ctx.upload(adam.secondMoment(i));
        }
        partials = ctx.alloc(ClBuffer.Type.F32, (long) n * ClOps.SQUARE_PARTIALS);
        hostCurrent = true;
    }

    public TrainableLlama model() { return model; }

    /** Elements one buffer may hold: kernel offsets and sizes are 32-bit ints. */
    private static final long MAX_ELEMENTS = DevicePlan.MAX_ELEMENTS;

    /**
     * Device bytes a step over rows of {@code seqLen} tokens needs: parameters, gradients and both AdamW moments
     * (16 bytes per parameter), every layer's saved activations, one layer's backward buffers and the head's
     * logits chunk.
     */
    public static long deviceBytes(LlamaConfig c, long parameters, int seqLen, TrainStep.Options o) {
        long n = seqLen, d = c.hiddenSize(), qd = c.qDim(), kd = c.kvDim(), h = c.heads(), inter = c.intermediateSize(), V = c.vocabSize();
        long ch = Math.min(o.mlpChunk(), n), lm = Math.min(o.lmChunk(), n);
        long saved = c.layers() * n * (2 * d + 2 * qd + 2 * kd + h) + 2 * n * d;
        long backward = n * (3 * d + 2 * qd + 2 * kd + h) + ch * (7 * inter + 3 * d);
        long head = lm * (2 * V + 4 * d + 3) + 4 * n;
        return 16 * parameters + 4 * (saved + backward + head + 3 * n) + 4L * ClOps.SQUARE_PARTIALS * (9L * c.layers() + 3);
    }

    /** The largest single buffer: a parameter, a [seqLen, width] activation, an FFN chunk or a logits chunk. */
    public static long largestBufferElements(LlamaConfig c, int seqLen, TrainStep.Options o) {
        long n = seqLen;
        long param = Math.max((long) c.vocabSize() * c.hiddenSize(), (long) c.intermediateSize() * c.hiddenSize());
        long act = n * Math.max(c.hiddenSize(), c.qDim());
        return Math.max(Math.max(param, act), Math.max(Math.min(o.mlpChunk(), n) * c.intermediateSize(), Math.min(o.lmChunk(), n) * c.vocabSize()));
    }

    /** Throws a one-line explanation when training rows of {@code seqLen} tokens cannot fit the device. */
    public static void check(LlamaConfig c, long parameters, int seqLen, TrainStep.Options o, ClDevice dev) {
        long need = deviceBytes(c, parameters, seqLen, o), usable = DevicePlan.usable(dev.globalMemBytes()), big = largestBufferElements(c, seqLen, o);
        if (big > MAX_ELEMENTS)
            throw new IllegalArgumentException("seq_len " + seqLen + " needs a buffer of " + big + " floats, over the OpenCL kernels' 32-bit offsets "
                    + "(lower seq_len, training.mlp_chunk or training.lm_chunk, or use --device cpu)");
        if (4 * big > dev.maxAllocBytes())
            throw new IllegalArgumentException("seq_len " + seqLen + " needs a " + DevicePlan.gib(4 * big) + " buffer, over " + dev.name()
                    + "'s largest of " + DevicePlan.gib(dev.maxAllocBytes()) + " (lower seq_len, training.mlp_chunk or training.lm_chunk, or use --device cpu)");
        if (need > usable)
            throw new IllegalArgumentException("device-resident training at seq_len " + seqLen + " needs " + DevicePlan.gib(need) + " on " + dev.name()
                    + " (" + DevicePlan.gib(16 * parameters) + " parameters, gradients and AdamW moments + " + DevicePlan.gib(need - 16 * parameters)
                    + " activations), which has " + DevicePlan.gib(dev.globalMemBytes()) + " (lower seq_len, or use --device cpu)");
    }

    private ClBuffer data(Param q) { return p[index.get(q)]; }

    private ClBuffer grad(Param q) { return g[index.get(q)]; }

    private ClWeight weight(Param q) { return new ClWeight(data(q), ClWeight.Kind.F32, 0); }

    /** Loss and gradients of a batch, then one AdamW update on the device (as {@link Trainer#train}). */
    public Trainer.StepResult train(List<PackedRow> batch, double lr) {
        hostCurrent = false;
        double loss = lossAndGradients(batch);
        double norm = gradientNorm();
        double scale = adam.clipNorm > 0 && norm > adam.clipNorm ? adam.clipNorm / norm : 1.0;
        adam.setStep(adam.step() + 1);
        if (adam.step() > Integer.MAX_VALUE) throw new IllegalStateException("AdamW step " + adam.step() + " beyond the kernel's int");
        for (int i = 0; i < params.size(); i++) {
            float wd = params.get(i).isVector() ? 0f : (float) adam.weightDecay;
            ops.adamW(p[i], g[i], m[i], v[i], 0, params.get(i).size(), (int) adam.step(), (float) lr, (float) adam.beta1,
                    (float) adam.beta2, (float) adam.eps, wd, (float) scale);
        }
        long tokens = 0;
        for (PackedRow r : batch) tokens += r.length();
        return new Trainer.StepResult(loss, norm, lr, tokens);
    }

    /** L2 norm over every gradient: partial sums of squares on the device, added up here in double. */
    public double gradientNorm() {
        int parts = ClOps.SQUARE_PARTIALS;
        for (int i = 0; i < params.size(); i++) ops.sumOfSquares(g[i], 0, params.get(i).size(), partials, i * parts);
        float[] s = new float[params.size() * parts];
        partials.read(0, s, 0, s.length);
        double ss = 0;
        for (float x : s) ss += x;
        return Math.sqrt(ss);
    }

    /** Zeroes the device gradients, runs every row of the batch (gradients accumulate) and returns the loss. */
    public double lossAndGradients(List<PackedRow> batch) {
        for (ClBuffer b : g) b.fill(0f, 0, b.length());
        double[] coef = weighting.coefficients();
        int classes = coef.length;
        float[][][] w = new float[batch.size()][][];
        double[] den = new double[classes];
        for (int b = 0; b < batch.size(); b++) {
            w[b] = weighting.weights(batch.get(b));
            for (int c = 0; c < classes; c++) for (float x : w[b][c]) den[c] += x;
        }
        double[] num = new double[classes];
        for (int b = 0; b < batch.size(); b++) {
            PackedRow row = batch.get(b);
            float[] dLoss = new float[row.length()];
            for (int t = 0; t < dLoss.length; t++) {
                double s = 0;
                for (int c = 0; c < classes; c++) if (den[c] > 0) s += coef[c] * w[b][c][t] / den[c];
                dLoss[t] = (float) s;
            }
            double[] part = row(row, w[b], dLoss);
            for (int c = 0; c < classes; c++) num[c] += part[c];
        }
        double loss = 0;
        for (int c = 0; c < classes; c++) if (den[c] > 0) loss += coef[c] * num[c] / den[c];
        return loss;
    }

    /**
     * Copies parameters, AdamW moments (and nothing else: the step count lives in {@code adam}) back to the host;
     * nothing to do when no step ran since the upload or the last download (a stage's last step is both
     * checkpointed and exported).
     */
    public void download() {
        if (hostCurrent) return;
        hostCurrent = true;
        for (int i = 0; i < params.size(); i++) {
            Param q = params.get(i);
            p[i].read(0, q.data, 0, q.size());
            m[i].read(0, adam.firstMoment(i), 0, q.size());
            v[i].read(0, adam.secondMoment(i), 0, q.size());
        }
    }

    /** Copies the gradients of the last {@link #lossAndGradients} into the host parameters' {@code grad} (tests). */
    public void downloadGradients() {
        for (int i = 0; i < params.size(); i++) g[i].read(0, params.get(i).grad, 0, params.get(i).size());
    }

    // ------------------------------------------------------------------ one row

    /**
     * Device buffers closed together. Closing right after enqueueing is safe: OpenCL frees a released
     * buffer only once the queued commands that use it have finished.
     */
    private final class Scratch implements AutoCloseable {
        final List<ClBuffer> all = new ArrayList<>();

        ClBuffer f32(long n) { return keep(ctx.alloc(ClBuffer.Type.F32, Math.max(1, n))); }

        ClBuffer keep(ClBuffer b) { all.add(b); return b; }

        @Override public void close() { for (ClBuffer b : all) b.close(); }
    }

    /** What the forward keeps per layer: its input x, q/k/v after RoPE, attention output and lse, the residual x2. */
    private static final class Saved {
        ClBuffer x, q, k, v, o, lse, x2;
    }

    /** As {@link TrainStep#run} for the whole row with a backward; returns per class the sum of weight x nll. */
    private double[] row(PackedRow row, float[][] classWeights, float[] dLoss) {
        LlamaConfig c = model.config();
        int n = row.length(), d = c.hiddenSize(), V = c.vocabSize(), L = c.layers();
        for (int i = 0; i < n; i++)
            if (row.tokens()[i] < 0 || row.tokens()[i] >= V)
                throw new IllegalArgumentException("token id " + row.tokens()[i] + " at position " + i + " outside vocabulary [0, " + V + ")");
        try (Scratch s = new Scratch()) {
            ClBuffer ids = s.keep(ctx.upload(row.tokens())), pos = s.keep(ctx.upload(row.positions())), seg = s.keep(ctx.upload(row.segments()));
            Saved[] saved = new Saved[L];
            ClBuffer x = s.f32((long) n * d);
            ops.embedding(weight(model.embed), V, d, ids, 0, n, x, 0);
            for (int l = 0; l < L; l++) {
                saved[l] = new Saved();
                x = layerForward(l, x, n, pos, seg, saved[l], s);
            }

            int classes = classWeights.length, nr = 0;
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) {
                boolean any = dLoss[i] != 0;
                for (float[] w : classWeights) any |= w[i] != 0;
                if (any && row.targets()[i] >= 0) rows[nr++] = i;
            }
            double[] sums = new double[classes];
            ClBuffer dx = s.f32((long) n * d);
            dx.fill(0f, 0, dx.length());
            if (nr > 0) {
                float[] nll = head(x, n, row, rows, nr, dLoss, dx, s);
                for (int r = 0; r < nr; r++)
                    for (int cl = 0; cl < classes; cl++) sums[cl] += (double) classWeights[cl][rows[r]] * nll[r];
            }
            for (int l = L - 1; l >= 0; l--) layerBackward(l, saved[l], n, pos, seg, dx, s);
            ops.embeddingBackward(grad(model.embed), V, d, ids, 0, n, dx, 0);
            return sums;
        }
    }

    private ClAttention attention(Saved sv, int n, ClBuffer pos, ClBuffer seg) {
        LlamaConfig c = model.config();
        return new ClAttention(sv.q, 0, sv.k, 0, sv.v, 0, sv.o, 0, sv.lse, 0, n, n, c.heads(), c.kvHeads(), c.headDim(),
                pos, pos, seg, seg, true, (float) (1.0 / Math.sqrt(c.headDim())));
    }

    /** Forward of layer l from x (kept as the layer's saved input); returns the new output buffer. */
    private ClBuffer layerForward(int l, ClBuffer x, int n, ClBuffer pos, ClBuffer seg, Saved sv, Scratch s) {
        LlamaConfig c = model.config();
        TrainableLlama.Layer P = model.layers[l];
        int d = c.hiddenSize(), qd = c.qDim(), kd = c.kvDim(), inter = c.intermediateSize();
        float eps = c.rmsNormEps();
        sv.x = x;
        try (Scratch t = new Scratch()) {
            ClBuffer xn = t.f32((long) n * d);
            ops.rmsNorm(x, 0, weight(P.attnNorm()), xn, 0, n, d, eps);
            sv.q = s.f32((long) n * qd);
            sv.k = s.f32((long) n * kd);
            sv.v = s.f32((long) n * kd);
            ops.matmul(xn, 0, data(P.wq()), 0, sv.q, 0, n, qd, d, false, true, false);
            ops.matmul(xn, 0, data(P.wk()), 0, sv.k, 0, n, kd, d, false, true, false);
            ops.matmul(xn, 0, data(P.wv()), 0, sv.v, 0, n, kd, d, false, true, false);
        }
        ops.rope(sv.q, 0, n, c.heads(), c.headDim(), pos, 0, c.ropeTheta(), opt.ropeStyle(), false);
        ops.rope(sv.k, 0, n, c.kvHeads(), c.headDim(), pos, 0, c.ropeTheta(), opt.ropeStyle(), false);
        sv.o = s.f32((long) n * qd);
        sv.lse = s.f32((long) n * c.heads());
        ops.attentionForward(attention(sv, n, pos, seg));
        sv.x2 = s.f32((long) n * d);
        sv.x2.copyFrom(x, 0, 0, (long) n * d);
        ops.matmul(sv.o, 0, data(P.wo()), 0, sv.x2, 0, n, d, qd, false, true, true);

        ClBuffer out = s.f32((long) n * d);
        out.copyFrom(sv.x2, 0, 0, (long) n * d);
        int ch = Math.min(opt.mlpChunk(), n);
        try (Scratch t = new Scratch()) {
            ClBuffer hn = t.f32((long) ch * d), gt = t.f32((long) ch * inter), up = t.f32((long) ch * inter), a = t.f32((long) ch * inter);
            for (int t0 = 0; t0 < n; t0 += ch) {
                int rows = Math.min(ch, n - t0);
                ffnActivations(P, sv.x2, t0, rows, d, inter, eps, hn, gt, up, a);
                ops.matmul(a, 0, data(P.down()), 0, out, t0 * d, rows, d, inter, false, true, true);
            }
        }
        return out;
    }

    /** The feed-forward's norm, gate, up and SwiGLU output for rows t0.. of x2: the forward's, recomputed by the backward. */
    private void ffnActivations(TrainableLlama.Layer P, ClBuffer x2, int t0, int rows, int d, int inter, float eps,
                                ClBuffer hn, ClBuffer gt, ClBuffer up, ClBuffer a) {
        ops.rmsNorm(x2, t0 * d, weight(P.mlpNorm()), hn, 0, rows, d, eps);
        ops.matmul(hn, 0, data(P.gate()), 0, gt, 0, rows, inter, d, false, true, false);
        ops.matmul(hn, 0, data(P.up()), 0, up, 0, rows, inter, d, false, true, false);
        ops.swiglu(gt, 0, up, 0, a, 0, rows * inter);
    }

    /** Backward of layer l: accumulates its parameter gradients; dx holds d loss / d output on entry, d loss / d input on return. */
    private void layerBackward(int l, Saved sv, int n, ClBuffer pos, ClBuffer seg, ClBuffer dx, Scratch s) {
        LlamaConfig c = model.config();
        TrainableLlama.Layer P = model.layers[l];
        int d = c.hiddenSize(), qd = c.qDim(), kd = c.kvDim(), inter = c.intermediateSize();
        float eps = c.rmsNormEps();
        try (Scratch t = new Scratch()) {
            // ---- feed-forward, chunk by chunk, recomputing its activations
            ClBuffer dx2 = t.f32((long) n * d);
            dx2.copyFrom(dx, 0, 0, (long) n * d);
            int ch = Math.min(opt.mlpChunk(), n);
            ClBuffer hn = t.f32((long) ch * d), gt = t.f32((long) ch * inter), up = t.f32((long) ch * inter), a = t.f32((long) ch * inter);
            ClBuffer da = t.f32((long) ch * inter), dg = t.f32((long) ch * inter), du = t.f32((long) ch * inter);
            ClBuffer dhn = t.f32((long) ch * d), tmp = t.f32((long) ch * d);
            for (int t0 = 0; t0 < n; t0 += ch) {
                int rows = Math.min(ch, n - t0);
                ffnActivations(P, sv.x2, t0, rows, d, inter, eps, hn, gt, up, a);
                ops.matmul(dx, t0 * d, a, 0, grad(P.down()), 0, d, inter, rows, true, false, true);
                ops.matmul(dx, t0 * d, data(P.down()), 0, da, 0, rows, inter, d, false, false, false);
                ops.swigluBackward(gt, 0, up, 0, da, 0, dg, du, rows * inter);
                ops.matmul(dg, 0, hn, 0, grad(P.gate()), 0, inter, d, rows, true, false, true);
                ops.matmul(du, 0, hn, 0, grad(P.up()), 0, inter, d, rows, true, false, true);
                ops.matmul(dg, 0, data(P.gate()), 0, dhn, 0, rows, d, inter, false, false, false);
                ops.matmul(du, 0, data(P.up()), 0, dhn, 0, rows, d, inter, false, false, true);
                ops.rmsNormBackward(sv.x2, t0 * d, data(P.mlpNorm()), dhn, 0, tmp, 0, grad(P.mlpNorm()), rows, d, eps);
                ops.axpy(1f, tmp, 0, dx2, t0 * d, rows * d);
            }

            // ---- attention output projection: x2 = x + o Wo^T
            ops.matmul(dx2, 0, sv.o, 0, grad(P.wo()), 0, d, qd, n, true, false, true);
            ClBuffer dO = t.f32((long) n * qd);
            ops.matmul(dx2, 0, data(P.wo()), 0, dO, 0, n, qd, d, false, false, false);

            // ---- attention, flash-style from the saved lse (dq, dk, dv accumulate)
            ClBuffer delta = t.f32((long) n * c.heads());
            ops.attentionDelta(sv.o, dO, delta, n, c.heads(), c.headDim());
            ClBuffer dq = t.f32((long) n * qd), dk = t.f32((long) n * kd), dv = t.f32((long) n * kd);
            dq.fill(0f, 0, dq.length());
            dk.fill(0f, 0, dk.length());
            dv.fill(0f, 0, dv.length());
            ops.attentionBackward(attention(sv, n, pos, seg), dO, delta, dq, dk, dv);
            ops.rope(dq, 0, n, c.heads(), c.headDim(), pos, 0, c.ropeTheta(), opt.ropeStyle(), true);
            ops.rope(dk, 0, n, c.kvHeads(), c.headDim(), pos, 0, c.ropeTheta(), opt.ropeStyle(), true);

            // ---- q, k, v projections of the normalised input (recomputed)
            ClBuffer xn = t.f32((long) n * d), dxn = t.f32((long) n * d);
            ops.rmsNorm(sv.x, 0, weight(P.attnNorm()), xn, 0, n, d, eps);
            ops.matmul(dq, 0, xn, 0, grad(P.wq()), 0, qd, d, n, true, false, true);
            ops.matmul(dk, 0, xn, 0, grad(P.wk()), 0, kd, d, n, true, false, true);
            ops.matmul(dv, 0, xn, 0, grad(P.wv()), 0, kd, d, n, true, false, true);
            ops.matmul(dq, 0, data(P.wq()), 0, dxn, 0, n, d, qd, false, false, false);
            ops.matmul(dk, 0, data(P.wk()), 0, dxn, 0, n, d, kd, false, false, true);
            ops.matmul(dv, 0, data(P.wv()), 0, dxn, 0, n, d, kd, false, false, true);
            ops.rmsNormBackward(sv.x, 0, data(P.attnNorm()), dxn, 0, dx, 0, grad(P.attnNorm()), n, d, eps);
            ops.axpy(1f, dx2, 0, dx, 0, n * d);
        }
    }

    /**
     * Final norm, lm_head and cross-entropy over the {@code nr} scored rows in chunks of lmChunk: the rows are
     * gathered from x (the embedding gather with x as the table), their gradient scattered back into dx.
     * Returns the rows' nll.
     */
    private float[] head(ClBuffer x, int n, PackedRow row, int[] rows, int nr, float[] dLoss, ClBuffer dx, Scratch s) {
        LlamaConfig c = model.config();
        int d = c.hiddenSize(), V = c.vocabSize(), ch = Math.max(1, Math.min(opt.lmChunk(), nr));
        float eps = c.rmsNormEps();
        int[] tg = new int[nr];
        float[] wr = new float[nr];
        for (int r = 0; r < nr; r++) {
            tg[r] = row.targets()[rows[r]];
            wr[r] = dLoss[rows[r]];
        }
        ClBuffer rowIdx = s.keep(ctx.upload(java.util.Arrays.copyOf(rows, nr))), targets = s.keep(ctx.upload(tg)), weights = s.keep(ctx.upload(wr));
        ClBuffer nllAll = s.f32(nr);
        ClWeight xTable = new ClWeight(x, ClWeight.Kind.F32, 0);
        Param head = model.lmHead;
        try (Scratch t = new Scratch()) {
            ClBuffer xs = t.f32((long) ch * d), hn = t.f32((long) ch * d), logits = t.f32((long) ch * V), dlogits = t.f32((long) ch * V);
            ClBuffer dhn = t.f32((long) ch * d), dxs = t.f32((long) ch * d), nll = t.f32(ch), lse = t.f32(ch), w = t.f32(ch);
            for (int r0 = 0; r0 < nr; r0 += ch) {
                int mr = Math.min(ch, nr - r0);
                ops.embedding(xTable, n, d, rowIdx, r0, mr, xs, 0);
                ops.rmsNorm(xs, 0, weight(model.finalNorm), hn, 0, mr, d, eps);
                ops.matmul(hn, 0, data(head), 0, logits, 0, mr, V, d, false, true, false);
                w.copyFrom(weights, r0, 0, mr);
                ops.crossEntropy(logits, 0, mr, V, targets, r0, nll, lse, dlogits, w);
                nllAll.copyFrom(nll, 0, r0, mr);
                // logits = hn Wlm^T: dWlm += dlogits^T hn ; dhn = dlogits Wlm
                ops.matmul(dlogits, 0, hn, 0, grad(head), 0, V, d, mr, true, false, true);
                ops.matmul(dlogits, 0, data(head), 0, dhn, 0, mr, d, V, false, false, false);
                ops.rmsNormBackward(xs, 0, data(model.finalNorm), dhn, 0, dxs, 0, grad(model.finalNorm), mr, d, eps);
                ops.embeddingBackward(dx, n, d, rowIdx, r0, mr, dxs, 0); // dx is zero there: a scatter
            }
            float[] out = new float[nr];
            nllAll.read(0, out, 0, nr); // blocking: the chunk buffers are free after it
            return out;
        }
    }

    @Override
    public void close() {
        for (ClBuffer[] bs : new ClBuffer[][] {p, g, m, v}) for (ClBuffer b : bs) if (b != null) b.close();
        partials.close();
    }
}
