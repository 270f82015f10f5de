package lwm.model.train;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.model.LlamaConfig;
import lwm.model.data.PackedRow;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.TokenPartition;

/**
 * Forward and hand-written backward of the whole model on one packed row, for the tokens this rank
 * holds. The structure follows the math of each layer (llm.c style):
 *
 * <pre>
 *   x0 = embed[ids]
 *   per layer:  xn = rms(x) ; q,k,v = xn Wq^T, xn Wk^T, xn Wv^T ; rope(q,k) ; o = attn(q,k,v)
 *               x' = x + o Wo^T
 *               x'' = x' + down( silu(gate(rms(x'))) * up(rms(x')) )     (blockwise over token chunks)
 *   logits = rms(xL) Wlm^T ; loss = sum_t g_t * nll_t                        (chunked over rows)
 * </pre>
 *
 * Memory: attention never materialises S x S (the kernels work blockwise from the saved per-row lse);
 * the feed-forward runs over chunks of {@code mlpChunk} tokens and is recomputed in the backward, so
 * [S, intermediate] never exists; logits exist for {@code lmChunk} rows at a time. With {@code remat}
 * only each layer's input is kept and the layer forward is recomputed during the backward.
 *
 * <p>Sequence parallelism: the row (tokens, positions, segments, targets, weights) is the full row,
 * identical on every rank; this step embeds, projects and scores only the {@link TokenPartition}'s
 * tokens, and all cross-token work goes through the {@link AttentionOp}. Gradients are this rank's
 * partial sums: the trainer reduces them with {@code GradientSync}.
 */
public final class TrainStep {

    /**
     * Block sizes and memory options. {@code lastLayerOnScoredRows}: the last layer computes only the rows that carry
     * loss weight (exact; off only to compare with a path that computes every row, such as the device trainer).
     */
    public record Options(int blockQ, int blockK, int mlpChunk, int lmChunk, boolean remat, RopeStyle ropeStyle,
                          boolean lastLayerOnScoredRows) {
        public Options {
            if (blockQ <= 0 || blockK <= 0 || mlpChunk <= 0 || lmChunk <= 0) throw new IllegalArgumentException("chunk sizes must be positive");
        }

        public Options(int blockQ, int blockK, int mlpChunk, int lmChunk, boolean remat, RopeStyle ropeStyle) {
            this(blockQ, blockK, mlpChunk, lmChunk, remat, ropeStyle, true);
        }

        public Options withLastLayerOnScoredRows(boolean on) { return new Options(blockQ, blockK, mlpChunk, lmChunk, remat, ropeStyle, on); }

        /** LWM's text-training chunks (q 256 / k 512 / mlp 1024), HF rotate-half RoPE. */
        public static Options defaults() { return new Options(256, 512, 1024, 256, false, RopeStyle.ROTATE_HALF); }

        public Options withRemat(boolean r) { return new Options(blockQ, blockK, mlpChunk, lmChunk, r, ropeStyle, lastLayerOnScoredRows); }
    }

    private final TrainableLlama model;
    private final Kernels k;
    private final AttentionOp attention;
    private final TokenPartition partition;
    private final Options opt;

    public TrainStep(TrainableLlama model, Kernels kernels, AttentionOp attention, TokenPartition partition, Options options) {
        this.model = model;
        this.k = kernels;
        this.attention = attention;
        this.partition = partition;
        this.opt = options;
    }

    public TrainableLlama model() { return model; }

    /** The global row indices this rank computes on. */
    public int[] localTokens(int seqLen) { return partition.localTokens(seqLen); }

    /** What one layer keeps for its backward (everything but the layer input is null under remat). */
    private static final class Saved {
        float[] x, q, kk, v, o, lse, x2;
    }

    /** The local view of a row: this rank's tokens and their row metadata. */
    private record Local(int n, int[] ids, int[] pos, int[] seg, int[] targets) {}

    /** The local rows whose queries a layer computes (the last layer: the scored rows), with their positions and segments. */
    private record Queries(int[] rows, int[] pos, int[] seg) {
        static Queries of(Local loc, int[] rows) {
            int[] pos = new int[rows.length], seg = new int[rows.length];
            for (int i = 0; i < rows.length; i++) { pos[i] = loc.pos[rows[i]]; seg[i] = loc.seg[rows[i]]; }
            return new Queries(rows, pos, seg);
        }

        static int count(Queries q, Local loc) { return q == null ? loc.n : q.rows.length; }

        static int[] rows(Queries q) { return q == null ? null : q.rows; }

        static int[] pos(Queries q, Local loc) { return q == null ? loc.pos : q.pos; }
    }

    private Local local(PackedRow row) {
        int[] idx = partition.localTokens(row.length());
        int n = idx.length;
        int[] ids = new int[n], pos = new int[n], seg = new int[n], tg = new int[n];
        for (int i = 0; i < n; i++) {
            int t = idx[i];
            ids[i] = row.tokens()[t];
            pos[i] = row.positions()[t];
            seg[i] = row.segments()[t];
            tg[i] = row.targets()[t];
        }
        return new Local(n, ids, pos, seg, tg);
    }

    /**
     * Runs the row. {@code classWeights[c][t]} are the raw loss weights of the full row (see
     * {@link LossWeighting}); {@code gradWeight[t]} (full row) is d loss / d nll_t, or null for a
     * forward-only evaluation. Gradients accumulate into the parameters' {@code grad}.
     *
     * @return per class, this rank's sum over its tokens of {@code classWeights[c][t] * nll_t}
     */
    public double[] run(PackedRow row, float[][] classWeights, float[] gradWeight) {
        LlamaConfig c = model.config();
        int d = c.hiddenSize();
        int[] idx = partition.localTokens(row.length());
        Local loc = local(row);
        int n = loc.n;
        boolean backward = gradWeight != null;

        // the rows that carry weight: the only rows whose last-layer output reaches the loss
        int[] rows = new int[n];
        int nr = 0;
        for (int i = 0; i < n; i++) {
            int t = idx[i];
            boolean any = backward && gradWeight[t] != 0;
            for (float[] w : classWeights) any |= w[t] != 0;
            if (any && loc.targets[i] >= 0) rows[nr++] = i;
        }
        // Every layer but the last feeds keys and values of all rows forward; the last layer feeds only the
        // head, so its queries, output projection and feed-forward run on the scored rows alone. With an
        // answer-only loss (QA fine-tuning, the demo) that removes nearly all of the last layer's attention.
        Queries scored = nr < n && opt.lastLayerOnScoredRows && attention.acceptsQuerySubset() ? Queries.of(loc, java.util.Arrays.copyOf(rows, nr)) : null;

        float[] x = new float[n * d];
        k.embedding(model.embed.tensor(), loc.ids, 0, n, x, 0);

        Saved[] saved = new Saved[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            Saved s = new Saved();
            x = layerForward(l, x, loc, s, backward && opt.remat, l == c.layers() - 1 ? scored : null);
            saved[l] = s;
        }

        // ---- head: final norm, logits and cross-entropy over chunks of the rows that carry weight
        int classes = classWeights.length;
        double[] sums = new double[classes];
        float[] dx = backward ? new float[x.length] : null;
        headForwardBackward(x, scored != null, loc, idx, rows, nr, classWeights, gradWeight, sums, dx);
        if (!backward) return sums;

        for (int l = c.layers() - 1; l >= 0; l--) dx = layerBackward(l, saved[l], loc, dx, l == c.layers() - 1 ? scored : null);

        // embedding backward: scatter-add into the rows of the used ids
        float[] ge = model.embed.grad;
        for (int i = 0; i < n; i++) {
            int base = loc.ids[i] * d;
            for (int j = 0; j < d; j++) ge[base + j] += dx[i * d + j];
        }
        return sums;
    }

    // ------------------------------------------------------------------ one decoder layer

    /** Attention of the queries of {@code sel} (all rows when null) against the keys and values of all local rows. */
    private AttentionArgs attnArgs(Local loc, Queries sel, float[] q, float[] kk, float[] v, float[] o, float[] lse) {
        LlamaConfig c = model.config();
        return new AttentionArgs(q, 0, kk, 0, v, 0, o, 0, lse, 0, Queries.count(sel, loc), loc.n, c.heads(), c.kvHeads(), c.headDim(),
                Queries.pos(sel, loc), loc.pos, sel == null ? loc.seg : sel.seg, loc.seg, true, (float) (1.0 / Math.sqrt(c.headDim())),
                opt.blockQ, opt.blockK);
    }

    /** Rows {@code sel} of the [rows, width] matrix a (a itself when sel is null). */
    private static float[] gatherRows(float[] a, int width, int[] sel) {
        if (sel == null) return a;
        float[] out = new float[sel.length * width];
        for (int i = 0; i < sel.length; i++) System.arraycopy(a, sel[i] * width, out, i * width, width);
        return out;
    }

    /** dst[sel[i]] += src[i] for each row (dst += src when sel is null). */
    private static void scatterAddRows(float[] src, int width, int[] sel, float[] dst) {
        if (sel == null) { for (int i = 0; i < src.length; i++) dst[i] += src[i]; return; }
        for (int i = 0; i < sel.length; i++) {
            int o = sel[i] * width, so = i * width;
            for (int j = 0; j < width; j++) dst[o + j] += src[so + j];
        }
    }

    /**
     * Forward of layer l on x (not modified); fills {@code s} (only s.x when {@code rematLater}) and returns the
     * output of rows {@code sel} (all rows when null): keys and values come from every row, everything else
     * from the selected rows only.
     */
    private float[] layerForward(int l, float[] x, Local loc, Saved s, boolean rematLater, Queries sel) {
        LlamaConfig c = model.config();
        TrainableLlama.Layer p = model.layers[l];
        int n = loc.n, d = c.hiddenSize(), qd = c.qDim(), kd = c.kvDim();
        int nq = Queries.count(sel, loc);
        int[] rows = Queries.rows(sel);

        float[] xn = new float[n * d];
        k.rmsNorm(x, 0, p.attnNorm().tensor(), xn, 0, n, d, c.rmsNormEps());
        float[] q = new float[nq * qd], kk = new float[n * kd], v = new float[n * kd];
        k.matmulNT(gatherRows(xn, d, rows), 0, p.wq().data, 0, q, 0, nq, qd, d, false);
        k.matmulNT(xn, 0, p.wk().data, 0, kk, 0, n, kd, d, false);
        k.matmulNT(xn, 0, p.wv().data, 0, v, 0, n, kd, d, false);
        k.rope(q, 0, nq, c.heads(), c.headDim(), Queries.pos(sel, loc), 0, c.ropeTheta(), opt.ropeStyle, false);
        k.rope(kk, 0, n, c.kvHeads(), c.headDim(), loc.pos, 0, c.ropeTheta(), opt.ropeStyle, false);
        float[] o = new float[nq * qd], lse = new float[nq * c.heads()];
        attention.forward(attnArgs(loc, sel, q, kk, v, o, lse));

        float[] x2 = sel == null ? x.clone() : gatherRows(x, d, rows);
        k.matmulNT(o, 0, p.wo().data, 0, x2, 0, nq, d, qd, true);

        float[] out = x2.clone();
        int inter = c.intermediateSize(), ch = Math.max(1, Math.min(opt.mlpChunk, nq));
        float[] hn = new float[ch * d], g = new float[ch * inter], u = new float[ch * inter], a = new float[ch * inter];
        for (int t0 = 0; t0 < nq; t0 += ch) {
            int m = Math.min(ch, nq - t0);
            k.rmsNorm(x2, t0 * d, p.mlpNorm().tensor(), hn, 0, m, d, c.rmsNormEps());
            k.matmulNT(hn, 0, p.gate().data, 0, g, 0, m, inter, d, false);
            k.matmulNT(hn, 0, p.up().data, 0, u, 0, m, inter, d, false);
            k.swiglu(g, 0, u, 0, a, 0, m * inter);
            k.matmulNT(a, 0, p.down().data, 0, out, t0 * d, m, d, inter, true);
        }
        s.x = x;
        if (!rematLater) { s.q = q; s.kk = kk; s.v = v; s.o = o; s.lse = lse; s.x2 = x2; }
        return out;
    }

    /**
     * Backward of layer l: accumulates its parameter gradients, returns d loss / d input (all rows) from
     * d loss / d output of rows {@code sel} (all rows when null), as {@link #layerForward} computed them.
     */
    private float[] layerBackward(int l, Saved s, Local loc, float[] dOut, Queries sel) {
        if (s.q == null) layerForward(l, s.x, loc, s, false, sel); // remat: recompute this layer's activations
        LlamaConfig c = model.config();
        TrainableLlama.Layer p = model.layers[l];
        int n = loc.n, d = c.hiddenSize(), qd = c.qDim(), kd = c.kvDim(), inter = c.intermediateSize();
        int nq = Queries.count(sel, loc);
        int[] rows = Queries.rows(sel);
        float eps = c.rmsNormEps();

        // ---- feed-forward, chunk by chunk, recomputing its activations (LWM's scan_mlp with remat)
        float[] dx2 = dOut.clone(); // the residual path
        int ch = Math.max(1, Math.min(opt.mlpChunk, nq));
        float[] hn = new float[ch * d], g = new float[ch * inter], u = new float[ch * inter], a = new float[ch * inter];
        float[] da = new float[ch * inter], dg = new float[ch * inter], du = new float[ch * inter];
        float[] dhn = new float[ch * d], tmp = new float[ch * d];
        for (int t0 = 0; t0 < nq; t0 += ch) {
            int m = Math.min(ch, nq - t0);
            k.rmsNorm(s.x2, t0 * d, p.mlpNorm().tensor(), hn, 0, m, d, eps);
            k.matmulNT(hn, 0, p.gate().data, 0, g, 0, m, inter, d, false);
            k.matmulNT(hn, 0, p.up().data, 0, u, 0, m, inter, d, false);
            k.swiglu(g, 0, u, 0, a, 0, m * inter);
            // out = a Wd^T: dWd += dOut^T a ; da = dOut Wd
            k.matmulTN(dOut, t0 * d, a, 0, p.down().grad, 0, d, inter, m, true);
            k.matmul(dOut, t0 * d, p.down().data, 0, da, 0, m, inter, d, false);
            k.swigluBackward(g, 0, u, 0, da, 0, dg, du, m * inter);
            k.matmulTN(dg, 0, hn, 0, p.gate().grad, 0, inter, d, m, true);
            k.matmulTN(du, 0, hn, 0, p.up().grad, 0, inter, d, m, true);
            k.matmul(dg, 0, p.gate().data, 0, dhn, 0, m, d, inter, false);
            k.matmul(du, 0, p.up().data, 0, dhn, 0, m, d, inter, true);
            k.rmsNormBackward(s.x2, t0 * d, p.mlpNorm().data, dhn, 0, tmp, 0, p.mlpNorm().grad, m, d, eps);
            for (int i = 0; i < m * d; i++) dx2[t0 * d + i] += tmp[i];
        }

        // ---- attention output projection: x2 = x + o Wo^T
        k.matmulTN(dx2, 0, s.o, 0, p.wo().grad, 0, d, qd, nq, true);
        float[] dO = new float[nq * qd];
        k.matmul(dx2, 0, p.wo().data, 0, dO, 0, nq, qd, d, false);

        // ---- attention (flash-style backward from the saved lse; dq, dk, dv accumulate)
        float[] delta = new float[nq * c.heads()];
        k.attentionDelta(s.o, dO, delta, nq, c.heads(), c.headDim());
        float[] dq = new float[nq * qd], dk = new float[n * kd], dv = new float[n * kd];
        attention.backward(attnArgs(loc, sel, s.q, s.kk, s.v, s.o, s.lse), dO, delta, dq, dk, dv);

        // ---- RoPE is a rotation: its backward is the inverse rotation
        k.rope(dq, 0, nq, c.heads(), c.headDim(), Queries.pos(sel, loc), 0, c.ropeTheta(), opt.ropeStyle, true);
        k.rope(dk, 0, n, c.kvHeads(), c.headDim(), loc.pos, 0, c.ropeTheta(), opt.ropeStyle, true);

        // ---- q, k, v projections of the normalised input (recomputed: cheaper than keeping it)
        float[] xn = new float[n * d];
        k.rmsNorm(s.x, 0, p.attnNorm().tensor(), xn, 0, n, d, eps);
        float[] xnq = gatherRows(xn, d, rows);
        k.matmulTN(dq, 0, xnq, 0, p.wq().grad, 0, qd, d, nq, true);
        k.matmulTN(dk, 0, xn, 0, p.wk().grad, 0, kd, d, n, true);
        k.matmulTN(dv, 0, xn, 0, p.wv().grad, 0, kd, d, n, true);
        float[] dxn = new float[n * d];
        k.matmul(dk, 0, p.wk().data, 0, dxn, 0, n, d, kd, false);
        k.matmul(dv, 0, p.wv().data, 0, dxn, 0, n, d, kd, true);
        if (sel == null) k.matmul(dq, 0, p.wq().data, 0, dxn, 0, n, d, qd, true);
        else {
            float[] dxnq = new float[nq * d];
            k.matmul(dq, 0, p.wq().data, 0, dxnq, 0, nq, d, qd, false);
            scatterAddRows(dxnq, d, rows, dxn);
        }
        float[] dx = new float[n * d];
        k.rmsNormBackward(s.x, 0, p.attnNorm().data, dxn, 0, dx, 0, p.attnNorm().grad, n, d, eps);
        scatterAddRows(dx2, d, rows, dx);

        if (opt.remat) { s.q = s.kk = s.v = s.o = s.lse = s.x2 = null; }
        return dx;
    }

    // ------------------------------------------------------------------ final norm, lm_head, cross-entropy

    /**
     * Scores the {@code nr} local rows listed in {@code rows} in chunks of {@code lmChunk}: logits,
     * per-row nll, and (when dx != null) the gradient through lm_head and the final norm into dx.
     * Rows without weight are skipped entirely (long-context QA rows have under 1% loss tokens). x and dx hold
     * every local row, or with {@code compact} only the listed rows, in order (the last layer ran on them alone).
     */
    private void headForwardBackward(float[] x, boolean compact, Local loc, int[] idx, int[] rows, int nr, float[][] classWeights,
                                     float[] gradWeight, double[] sums, float[] dx) {
        LlamaConfig c = model.config();
        int d = c.hiddenSize(), V = c.vocabSize(), ch = Math.max(1, Math.min(opt.lmChunk, nr));
        float eps = c.rmsNormEps();
        float[] xs = new float[ch * d], hn = new float[ch * d], logits = new float[ch * V];
        float[] dlogits = dx != null ? new float[ch * V] : null, dhn = new float[ch * d], dxs = new float[ch * d];
        float[] nll = new float[ch], lse = new float[ch], w = new float[ch];
        int[] tg = new int[ch];
        for (int r0 = 0; r0 < nr; r0 += ch) {
            int m = Math.min(ch, nr - r0);
            for (int r = 0; r < m; r++) {
                int i = rows[r0 + r];
                System.arraycopy(x, (compact ? r0 + r : i) * d, xs, r * d, d);
                tg[r] = loc.targets[i];
                w[r] = dx != null ? gradWeight[idx[i]] : 0f;
            }
            k.rmsNorm(xs, 0, model.finalNorm.tensor(), hn, 0, m, d, eps);
            k.matmulNT(hn, 0, model.lmHead.data, 0, logits, 0, m, V, d, false);
            k.crossEntropy(logits, 0, m, V, tg, 0, nll, lse, dlogits, w);
            for (int r = 0; r < m; r++) {
                int t = idx[rows[r0 + r]];
                for (int cl = 0; cl < classWeights.length; cl++) sums[cl] += (double) classWeights[cl][t] * nll[r];
            }
            if (dx == null) continue;
            // logits = hn Wlm^T: dWlm += dlogits^T hn ; dhn = dlogits Wlm
            k.matmulTN(dlogits, 0, hn, 0, model.lmHead.grad, 0, V, d, m, true);
            k.matmul(dlogits, 0, model.lmHead.data, 0, dhn, 0, m, d, V, false);
            k.rmsNormBackward(xs, 0, model.finalNorm.data, dhn, 0, dxs, 0, model.finalNorm.grad, m, d, eps);
            for (int r = 0; r < m; r++) System.arraycopy(dxs, r * d, dx, (compact ? r0 + r : rows[r0 + r]) * d, d);
        }
    }
}
