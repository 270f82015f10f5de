package lwm.ring;

import lwm.model.LlamaModel;
import lwm.model.parallel.TokenPartition;

/**
 * Ring-distributed prefill for inference: every rank runs the model on its shard of the prompt (global
 * positions, so RoPE and the causal mask are those of the whole prompt) with {@link RingAttention} over
 * {@code ring}, so no rank ever holds more than its block of keys/values; the logits come back in
 * global token order. This is what {@code ./lwm logits --ranks N} computes (generation keeps the keys/values
 * where they are: {@link RingDecoder}); the result equals the one-rank forward.
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
}
