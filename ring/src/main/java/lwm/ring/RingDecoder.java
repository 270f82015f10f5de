package lwm.ring;

import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaModel;
import lwm.model.Sampler;
import lwm.model.parallel.TokenPartition;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Distributed generation (LWM's ring attention inference): no rank ever holds the whole KV cache. The
 * prompt is prefilled over the ring ({@link RingAttention}), each rank keeping the keys/values of its own
 * shard of the prompt; then at each decode step every rank computes the new token's q/k/v (the weights
 * are replicated), attends its query over its local shard, and the partials are merged by log-sum-exp
 * ({@link LseShardMerge}: heads x (headDim + 1) floats per rank and layer). The new token's key/value is
 * kept by rank {@code position mod P}, so the shards stay balanced. The sampled token is rank 0's and is
 * broadcast, so all ranks feed the same ids whatever sampling does. Collective over {@code ring}.
 */
public final class RingDecoder {
    private final LlamaModel model;
    private final Communicator ring;
    private final TokenPartition layout;
    private final LseShardMerge merge;
    private final KvCache shard;
    private final int prefillLength;
    private int length; // tokens in all shards together = next position

    /**
     * Sizes this rank's shard for a prompt of {@code promptLength} and {@code maxNew} new tokens: its part
     * of the ring-prefilled prompt (all but the last token, when that leaves every rank a token) plus the
     * decode positions it keeps.
     */
    public RingDecoder(LlamaModel model, Communicator ring, TokenPartition layout, int promptLength, int maxNew, KvCache.Storage storage) {
        if (promptLength < 1) throw new IllegalArgumentException("empty prompt");
        this.model = model;
        this.ring = ring;
        this.layout = layout;
        this.merge = new LseShardMerge(ring);
        int p = ring.size();
        this.prefillLength = promptLength - 1 >= p ? promptLength - 1 : 0;
        int mine = prefillLength == 0 ? 0 : layout.localTokens(prefillLength).length;
        // positions prefillLength .. promptLength + maxNew - 2 go through decode steps (the last sampled token is never fed)
        for (int pos = prefillLength; pos < promptLength + Math.max(maxNew, 1) - 1; pos++) if (owner(pos) == ring.rank()) mine++;
        this.shard = model.newCache(Math.max(mine, 1), storage);
    }

    /** The rank that keeps the key/value of the token at {@code position} (decode steps). */
    public int owner(int position) { return position % ring.size(); }

    /** This rank's shard of the KV cache. */
    public KvCache shard() { return shard; }

    /** Tokens in the whole (distributed) cache. */
    public int length() { return length; }

    /** Tokens of the prompt that the ring prefill handles (0 when the prompt is shorter than the ranks). */
    public int prefillLength() { return prefillLength; }

    /** One token at the next position on every rank; returns its logits [vocab], equal on every rank. */
    public float[] step(int id) {
        int pos = length++;
        return model.forwardSharded(new int[]{id}, new int[]{pos}, shard, owner(pos) == ring.rank(), merge, LlamaModel.Logits.LAST);
    }

    /**
     * Ring prefill of the prompt (but its last token), then up to {@code maxNew} sampled tokens, stopping
     * after one for which {@code stop} holds. Every rank returns the same result. Rank 0 alone samples and
     * calls {@code listener.token} (which may stop the generation for everybody); the prefill callback
     * runs on every rank.
     */
    public Generator.Result generate(int[] prompt, int maxNew, Sampler sampler, IntPredicate stop, Generator.Listener listener) {
        if (length != 0) throw new IllegalStateException("a RingDecoder serves one generation");
        long t0 = System.nanoTime();
        if (prefillLength > 0) {
            int[] idx = layout.localTokens(prefillLength);
            int[] local = new int[idx.length];
            for (int i = 0; i < idx.length; i++) local[i] = prompt[idx[i]];
            model.forwardLocal(local, idx, new RingAttention(ring, model.kernels()), shard, LlamaModel.Logits.NONE);
            length = prefillLength;
            listener.prefill(prefillLength, prompt.length, (System.nanoTime() - t0) / 1e9);
        }
        float[] logits = null;
        for (int i = prefillLength; i < prompt.length; i++) logits = step(prompt[i]);
        double prefillSeconds = (System.nanoTime() - t0) / 1e9;
        int vocab = model.config().vocabSize();
        int[] out = new int[maxNew];
        int n = 0;
        boolean eos = false;
        long t1 = System.nanoTime();
        while (n < maxNew) {
            // rank 0 samples and decides whether to go on; everybody follows, so no rank can run ahead
            int[] decision = {0, 0};
            if (ring.rank() == 0) {
                decision[0] = sampler.sample(logits, 0, vocab);
                boolean stopHere = stop.test(decision[0]);
                boolean more = listener.token(decision[0]) && !stopHere && n + 1 < maxNew;
                decision[1] = (stopHere ? 2 : 0) | (more ? 1 : 0);
            }
            decision = Arrays.copyOf(ring.allGather(decision), 2);
            out[n++] = decision[0];
            eos = (decision[1] & 2) != 0;
            if ((decision[1] & 1) == 0) break;
            logits = step(decision[0]);
        }
        return new Generator.Result(Arrays.copyOf(out, n), eos, prompt.length, prefillSeconds, (System.nanoTime() - t1) / 1e9);
    }
}
