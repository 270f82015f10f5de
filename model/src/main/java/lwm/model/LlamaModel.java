package lwm.model;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.ShardMerge;

import java.util.Arrays;

/**
 * The LLaMA forward pass for inference: embeddings, pre-norm decoder blocks (RMSNorm, RoPE attention,
 * SwiGLU), final norm and head. Weights stay in their stored dtype; activations are f32.
 *
 * <p>Two ways to run attention:
 * <ul>
 *   <li>{@link #forward}: the tokens' keys/values are appended to a {@link KvCache} and every query attends
 *       to the cache page by page, the partial results merged by log-sum-exp. This serves decoding and
 *       chunked prefill of a long prompt (peak memory set by the chunk, not the prompt).</li>
 *   <li>{@link #forwardLocal}: the tokens attend to their own keys/values through an {@link AttentionOp}.
 *       With {@link LocalAttention} that is a plain prefill; a sequence-parallel op (the ring module) makes
 *       the same call see every rank's keys/values, each rank holding its local tokens and their global
 *       positions.</li>
 *   <li>{@link #forwardSharded}: decoding over a KV cache split across ranks; each rank attends its own
 *       shard and a {@link ShardMerge} (the ring module) combines the partials by log-sum-exp.</li>
 * </ul>
 * An instance serves one sequence of calls at a time (it reuses scratch buffers); share the weights,
 * not the model, between threads.
 */
public final class LlamaModel {
    /** Which rows of logits a forward pass returns. */
    public enum Logits { NONE, LAST, ALL }

    private static final int BLOCK_Q = 64, BLOCK_K = 256;

    private final LlamaWeights w;
    private final LlamaConfig c;
    private final Kernels k;
    private final AttentionOp attention;
    private final RopeStyle rope;
    private final int ffnChunk;
    private float[] scratchK, scratchV; // bf16 cache pages widened for attention; reused across calls

    public LlamaModel(LlamaWeights weights, Kernels kernels) {
        this(weights, kernels, new LocalAttention(kernels), RopeStyle.ROTATE_HALF, 256);
    }

    /**
     * @param rope      ROTATE_HALF for Hugging Face checkpoints (their q/k rows are permuted for it);
     *                  INTERLEAVED for weights taken unpermuted from the JAX code
     * @param ffnChunk  tokens per feed-forward step: bounds the [tokens, intermediate] buffers (blockwise FFN)
     */
    public LlamaModel(LlamaWeights weights, Kernels kernels, AttentionOp attention, RopeStyle rope, int ffnChunk) {
        this.w = weights;
        this.c = weights.config();
        this.k = kernels;
        this.attention = attention;
        this.rope = rope;
        this.ffnChunk = ffnChunk;
    }

    public LlamaConfig config() { return c; }
    public LlamaWeights weights() { return w; }
    public Kernels kernels() { return k; }

    public KvCache newCache(int capacity, KvCache.Storage storage) {
        return new KvCache(c.layers(), c.kvDim(), capacity, 1024, storage);
    }

    /** This model over {@code cache}: the host-side {@link CachedForward}. */
    public CachedForward on(KvCache cache) {
        return new CachedForward() {
            @Override public LlamaConfig config() { return c; }
            @Override public float[] forward(int[] ids, int[] positions, Logits which) { return LlamaModel.this.forward(ids, positions, cache, which); }
            @Override public int length() { return cache.length(); }
            @Override public int capacity() { return cache.capacity(); }
            @Override public void truncate(int tokens) { cache.truncate(tokens); }
        };
    }

    /**
     * Runs {@code ids} at {@code positions} (one per id) after the tokens already in {@code cache},
     * appending their keys/values. Returns logits: nothing, the last row [vocab], or every row [n, vocab].
     */
    public float[] forward(int[] ids, int[] positions, KvCache cache, Logits logits) {
        return run(ids, positions, cache, null, logits);
    }

    /**
     * Runs the tokens with attention among themselves through {@code op} (their keys/values as the local
     * block). The cache, when given, receives the keys/values so decoding can continue from them.
     */
    public float[] forwardLocal(int[] ids, int[] positions, AttentionOp op, KvCache cache, Logits logits) {
        return run(ids, positions, cache, op, logits);
    }

    /**
     * Distributed decoding: {@code shard} is this rank's part of a KV cache split over ranks. Every rank
     * passes the same tokens; the one with {@code store} appends their keys/values to its shard (and so
     * attends them), each rank attends the queries over its own shard and {@code merge} combines the
     * partials, so the returned logits are those of attention over the whole cache, on every rank.
     */
    public float[] forwardSharded(int[] ids, int[] positions, KvCache shard, boolean store, ShardMerge merge, Logits logits) {
        if (shard == null || merge == null) throw new IllegalArgumentException("sharded forward needs the local shard and a merge");
        return run(ids, positions, shard, store, null, merge, logits);
    }

    private float[] run(int[] ids, int[] positions, KvCache cache, AttentionOp localOp, Logits logits) {
        return run(ids, positions, cache, true, localOp, null, logits);
    }

    private float[] run(int[] ids, int[] positions, KvCache cache, boolean store, AttentionOp localOp, ShardMerge shards, Logits logits) {
        int n = ids.length, H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim();
        if (positions.length != n) throw new IllegalArgumentException(n + " ids but " + positions.length + " positions");
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        if (cache == null && localOp == null) throw new IllegalArgumentException("forward needs a KV cache");
        float[] x = new float[Math.multiplyExact(n, H)];
        float[] xn = new float[n * H];
        float[] q = new float[Math.multiplyExact(n, Q)], kk = new float[n * KV], vv = new float[n * KV], att = new float[n * Q];
        k.embedding(w.embed(), ids, 0, n, x, 0);
        for (int l = 0; l < c.layers(); l++) {
            LlamaWeights.Layer L = w.layers()[l];
            k.rmsNorm(x, 0, L.attnNorm(), xn, 0, n, H, c.rmsNormEps());
            k.linear(xn, 0, L.wq(), q, 0, n, Q, H);
            k.linear(xn, 0, L.wk(), kk, 0, n, KV, H);
            k.linear(xn, 0, L.wv(), vv, 0, n, KV, H);
            k.rope(q, 0, n, c.heads(), c.headDim(), positions, 0, c.ropeTheta(), rope, false);
            k.rope(kk, 0, n, c.kvHeads(), c.headDim(), positions, 0, c.ropeTheta(), rope, false);
            if (cache != null && store) cache.write(l, kk, 0, vv, 0, n, positions, 0);
            if (localOp != null) {
                localOp.forward(args(q, kk, vv, att, new float[n * c.heads()], n, n, positions, positions));
            } else {
                float[] lse = new float[n * c.heads()];
                attendCache(l, q, n, positions, cache, store ? n : 0, att, lse);
                if (shards != null) shards.merge(att, lse, n * c.heads(), c.headDim());
            }
            k.linear(att, 0, L.wo(), xn, 0, n, H, Q);
            add(x, xn, n * H);
            feedForward(L, x, n);
        }
        if (cache != null && store) cache.advance(n);
        return head(x, n, logits);
    }

    private AttentionArgs args(float[] q, float[] kk, float[] vv, float[] out, float[] lse, int nq, int nk, int[] qPos, int[] kPos) {
        return new AttentionArgs(q, 0, kk, 0, vv, 0, out, 0, lse, 0, nq, nk, c.heads(), c.kvHeads(), c.headDim(),
                qPos, kPos, null, null, true, (float) (1.0 / Math.sqrt(c.headDim())), BLOCK_Q, BLOCK_K);
    }

    /**
     * Attention of n queries over every page of the cache (which already holds the {@code written} keys of
     * this pass). Pages are attended one at a time and merged: out = sum_p exp(lse_p - lse) out_p with
     * lse = logsumexp(lse_p). With no visible page, out = 0 and lse = -inf (an empty shard).
     */
    private void attendCache(int layer, float[] q, int n, int[] qPos, KvCache cache, int written, float[] out, float[] lse) {
        int heads = c.heads(), D = c.headDim();
        int filled = cache.length() + written; // tokens visible to this pass, counting the ones just written
        int maxQ = Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) maxQ = Math.max(maxQ, qPos[i]);
        float[] pOut = null, pLse = null;
        float[] kScratch = null, vScratch = null;
        if (cache.storage() != KvCache.Storage.F32) {
            int need = Math.min(cache.pageTokens(), filled) * c.kvDim();
            if (scratchK == null || scratchK.length < need) { scratchK = new float[need]; scratchV = new float[need]; }
            kScratch = scratchK;
            vScratch = scratchV;
        }
        boolean first = true;
        int P = (filled + cache.pageTokens() - 1) / cache.pageTokens();
        for (int p = 0; p < P; p++) {
            int tokens = Math.min(cache.pageTokens(), filled - p * cache.pageTokens());
            int[] kPos = cache.pagePositions(p);
            if (minPos(kPos, tokens) > maxQ) continue; // a page entirely in every query's future
            float[] kp = cache.keysFilled(layer, p, tokens, kScratch), vp = cache.valuesFilled(layer, p, tokens, vScratch);
            if (first) {
                attention.forward(args(q, kp, vp, out, lse, n, tokens, qPos, kPos));
                first = false;
                continue;
            }
            if (pOut == null) { pOut = new float[out.length]; pLse = new float[lse.length]; }
            attention.forward(args(q, kp, vp, pOut, pLse, n, tokens, qPos, kPos));
            merge(out, lse, pOut, pLse, n * heads, D);
        }
        if (first) {
            Arrays.fill(out, 0, n * heads * D, 0f);
            Arrays.fill(lse, 0, n * heads, Float.NEGATIVE_INFINITY);
        }
    }

    private static int minPos(int[] pos, int n) {
        int m = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) m = Math.min(m, pos[i]);
        return m;
    }

    /** Folds one partial attention result (pOut, pLse) into the running one (out, lse). */
    public static void merge(float[] out, float[] lse, float[] pOut, float[] pLse, int rows, int D) {
        for (int r = 0; r < rows; r++) {
            float a = lse[r], b = pLse[r];
            if (b == Float.NEGATIVE_INFINITY) continue;
            if (a == Float.NEGATIVE_INFINITY) {
                System.arraycopy(pOut, r * D, out, r * D, D);
                lse[r] = b;
                continue;
            }
            double m = Math.max(a, b), ea = Math.exp(a - m), eb = Math.exp(b - m), s = ea + eb;
            double wa = ea / s, wb = eb / s;
            for (int d = 0; d < D; d++) out[r * D + d] = (float) (wa * out[r * D + d] + wb * pOut[r * D + d]);
            lse[r] = (float) (m + Math.log(s));
        }
    }

    /** x += down(silu(gate(norm x)) * up(norm x)), ffnChunk tokens at a time. */
    private void feedForward(LlamaWeights.Layer L, float[] x, int n) {
        int H = c.hiddenSize(), F = c.intermediateSize(), chunk = Math.min(n, ffnChunk);
        float[] xn = new float[chunk * H], g = new float[chunk * F], u = new float[chunk * F], y = new float[chunk * H];
        for (int t0 = 0; t0 < n; t0 += chunk) {
            int m = Math.min(chunk, n - t0);
            k.rmsNorm(x, t0 * H, L.ffnNorm(), xn, 0, m, H, c.rmsNormEps());
            k.linear(xn, 0, L.gate(), g, 0, m, F, H);
            k.linear(xn, 0, L.up(), u, 0, m, F, H);
            k.swiglu(g, 0, u, 0, g, 0, m * F);
            k.linear(g, 0, L.down(), y, 0, m, H, F);
            for (int i = 0; i < m * H; i++) x[t0 * H + i] += y[i];
        }
    }

    private float[] head(float[] x, int n, Logits which) {
        int H = c.hiddenSize(), V = c.vocabSize();
        if (which == Logits.NONE) return null;
        int from = which == Logits.LAST ? n - 1 : 0, rows = n - from;
        float[] xn = new float[rows * H];
        k.rmsNorm(x, from * H, w.finalNorm(), xn, 0, rows, H, c.rmsNormEps());
        float[] out = new float[Math.multiplyExact(rows, V)];
        k.linear(xn, 0, w.lmHead(), out, 0, rows, V, H);
        return out;
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
