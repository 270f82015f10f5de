package lwm.ring;

import lwm.model.LlamaModel;
import lwm.model.parallel.TokenPartition;

/**
 * Ring-distributed prefill for inference: every rank runs the model on its shard of the prompt (global
 * positions, so RoPE and the causal mask are those of the whole prompt) with {@link RingAttention} over
 * {@code ring}, so no rank ever holds more than its block of keys/values; the logits come back in
 * global token order. This is what {@code ./lwm logits --ranks N} and the prefill of
 * {@code ./lwm generate --ranks N} compute; the result equals the one-rank forward.
 */
public final class RingPrefill {
    private RingPrefill() {}

    /**
     * Collective over {@code ring}; every rank passes the same ids. Returns, on every rank, the logits of
     * every token [S, vocab] in prompt order ({@code ALL}) or of the last token [vocab] ({@code LAST}).
     */
    public static float[] logits(LlamaModel model, Communicator ring, TokenPartition layout, int[] ids, LlamaModel.Logits which) {
        if (which == LlamaModel.Logits.NONE) throw new IllegalArgumentException("prefill logits: ask for ALL or LAST");
        int s = ids.length, vocab = model.config().vocabSize();
        int[] idx = layout.localTokens(s);
        if (idx.length == 0) throw new IllegalArgumentException("prompt of " + s + " tokens leaves rank " + ring.rank() + " of " + ring.size() + " without tokens");
        int[] local = new int[idx.length];
        for (int i = 0; i < idx.length; i++) local[i] = ids[idx[i]];
        float[] mine = model.forwardLocal(local, idx, new RingAttention(ring, model.kernels()), null, LlamaModel.Logits.ALL);
        int[] counts = ring.allGather(new int[]{idx.length});
        int[] order = ring.allGatherV(idx, counts);
        if (which == LlamaModel.Logits.LAST) {
            // only the row of token s-1 travels
            int at = -1;
            for (int i = 0; i < idx.length; i++) if (idx[i] == s - 1) at = i;
            int[] rowCounts = new int[counts.length];
            int owner = -1;
            for (int r = 0, o = 0; r < counts.length; o += counts[r], r++)
                for (int i = o; i < o + counts[r]; i++) if (order[i] == s - 1) owner = r;
            rowCounts[owner] = vocab;
            float[] row = at < 0 ? new float[0] : java.util.Arrays.copyOfRange(mine, at * vocab, (at + 1) * vocab);
            return ring.allGatherV(row, rowCounts);
        }
        int[] floatCounts = new int[counts.length];
        for (int r = 0; r < counts.length; r++) floatCounts[r] = counts[r] * vocab;
        float[] gathered = ring.allGatherV(mine, floatCounts);
        float[] out = new float[s * vocab];
        for (int i = 0; i < s; i++) System.arraycopy(gathered, i * vocab, out, order[i] * vocab, vocab);
        return out;
    }

    /** Greedy next token at every prompt position (prompt order) and the last position's logits. */
    public record Scores(int[] argmax, float[] last) {}

    /**
     * Collective like {@link #logits}, but only argmax ids travel (plus the one last row), so no rank ever
     * holds the [S, vocab] logits of the whole prompt.
     */
    public static Scores argmaxAndLast(LlamaModel model, Communicator ring, TokenPartition layout, int[] ids) {
        int s = ids.length, vocab = model.config().vocabSize();
        int[] idx = layout.localTokens(s);
        if (idx.length == 0) throw new IllegalArgumentException("prompt of " + s + " tokens leaves rank " + ring.rank() + " of " + ring.size() + " without tokens");
        int[] local = new int[idx.length];
        for (int i = 0; i < idx.length; i++) local[i] = ids[idx[i]];
        float[] mine = model.forwardLocal(local, idx, new RingAttention(ring, model.kernels()), null, LlamaModel.Logits.ALL);
        int[] am = new int[idx.length];
        float[] lastRow = new float[0];
        for (int i = 0; i < idx.length; i++) {
            int best = 0;
            for (int v = 1; v < vocab; v++) if (mine[i * vocab + v] > mine[i * vocab + best]) best = v;
            am[i] = best;
            if (idx[i] == s - 1) lastRow = java.util.Arrays.copyOfRange(mine, i * vocab, (i + 1) * vocab);
        }
        int[] counts = ring.allGather(new int[]{idx.length});
        int[] order = ring.allGatherV(idx, counts), amAll = ring.allGatherV(am, counts);
        int[] argmax = new int[s];
        for (int i = 0; i < s; i++) argmax[order[i]] = amAll[i];
        int[] rowCounts = ring.allGather(new int[]{lastRow.length});
        return new Scores(argmax, ring.allGatherV(lastRow, rowCounts));
    }

    /**
     * Ring-distributed prefill of {@code ids} whose keys/values end in rank 0's {@code rootCache} (null on the
     * other ranks), appended after what it holds, so rank 0 can decode from there exactly as after a local
     * prefill. Each rank runs its shard with ring attention into a private cache; then, layer by layer, the
     * shards' keys/values (already rotated) and positions travel to rank 0, which writes them in rank order
     * (the cache masks by position, so order within the cache does not matter). Collective over {@code ring}.
     */
    public static void intoCache(LlamaModel model, Communicator ring, TokenPartition layout, int[] ids, lwm.model.KvCache rootCache) {
        if ((ring.rank() == 0) != (rootCache != null)) throw new IllegalArgumentException("exactly rank 0 passes the cache that receives the prompt");
        int s = ids.length;
        int[] idx = layout.localTokens(s);
        if (idx.length == 0) throw new IllegalArgumentException("prompt of " + s + " tokens leaves rank " + ring.rank() + " of " + ring.size() + " without tokens");
        int[] local = new int[idx.length];
        for (int i = 0; i < idx.length; i++) local[i] = ids[idx[i]];
        lwm.model.KvCache mine = model.newCache(idx.length, lwm.model.KvCache.Storage.F32);
        model.forwardLocal(local, idx, new RingAttention(ring, model.kernels()), mine, LlamaModel.Logits.NONE);
        int[] counts = ring.allGather(new int[]{idx.length});
        int[] pos = ring.allGatherV(idx, counts);
        int kvDim = model.config().kvDim(), p = ring.size();
        for (int l = 0; l < model.config().layers(); l++) {
            float[] k = flatten(mine, l, true, idx.length), v = flatten(mine, l, false, idx.length);
            if (ring.rank() != 0) {
                Request.awaitAll(ring.isend(k, 0, k.length, 0, 2 * (l % 1000)), ring.isend(v, 0, v.length, 0, 2 * (l % 1000) + 1));
                continue;
            }
            float[] allK = new float[s * kvDim], allV = new float[s * kvDim];
            System.arraycopy(k, 0, allK, 0, k.length);
            System.arraycopy(v, 0, allV, 0, v.length);
            Request[] reqs = new Request[2 * (p - 1)];
            for (int r = 1, off = counts[0]; r < p; off += counts[r], r++) {
                reqs[2 * r - 2] = ring.irecv(allK, off * kvDim, counts[r] * kvDim, r, 2 * (l % 1000));
                reqs[2 * r - 1] = ring.irecv(allV, off * kvDim, counts[r] * kvDim, r, 2 * (l % 1000) + 1);
            }
            Request.awaitAll(reqs);
            rootCache.write(l, allK, 0, allV, 0, s, pos, 0);
        }
        if (rootCache != null) rootCache.advance(s);
    }

    private static float[] flatten(lwm.model.KvCache c, int layer, boolean keys, int n) {
        int kvDim = c.kvDim();
        float[] out = new float[n * kvDim];
        for (int pg = 0, done = 0; done < n; pg++) {
            int t = Math.min(c.pageTokens(), n - done);
            float[] page = keys ? c.keysFilled(layer, pg, t, null) : c.valuesFilled(layer, pg, t, null);
            System.arraycopy(page, 0, out, done * kvDim, t * kvDim);
            done += t;
        }
        return out;
    }
}
