package lwm.cli;

import lwm.kernels.Kernels;
import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.Sampler;
import lwm.model.niah.NiahEvaluator;
import lwm.model.niah.PromptCodec;
import lwm.ring.LocalWorld;
import lwm.ring.RingAttention;

import java.util.Arrays;

/**
 * Greedy needle answers with the long prompt prefilled through the ring: each of {@code ranks} ranks (threads
 * running the ring's Communicator) holds one contiguous block of the prompt and its keys/values, RingAttention
 * passes the blocks around; the blocks' caches are then laid end to end for decoding on one rank.
 */
final class RingResponder implements NiahEvaluator.Responder {
    private final LlamaWeights weights;
    private final Kernels kernels;
    private final PromptCodec codec;
    private final int ranks;

    RingResponder(LlamaWeights weights, Kernels kernels, PromptCodec codec, int ranks) {
        if (ranks < 2) throw new IllegalArgumentException("a ring needs at least 2 ranks");
        this.weights = weights;
        this.kernels = kernels;
        this.codec = codec;
        this.ranks = ranks;
    }

    /** KV cache of {@code ids} at positions 0.., computed on the ring; room for {@code extra} more tokens. */
    KvCache prefill(int[] ids, int extra) throws Exception {
        int n = ids.length;
        if (n < ranks) throw new IllegalArgumentException("prompt of " + n + " tokens is shorter than the " + ranks + " ranks");
        KvCache[] local = new KvCache[ranks];
        LocalWorld.run(ranks, (comm, argv) -> {
            int r = comm.rank(), from = (int) ((long) r * n / ranks), to = (int) ((long) (r + 1) * n / ranks);
            LlamaModel m = new LlamaModel(weights, kernels);
            KvCache c = m.newCache(to - from, KvCache.Storage.F32);
            int[] pos = new int[to - from];
            for (int i = 0; i < pos.length; i++) pos[i] = from + i;
            m.forwardLocal(Arrays.copyOfRange(ids, from, to), pos, new RingAttention(comm, kernels), c, LlamaModel.Logits.NONE);
            local[r] = c;
        });
        LlamaModel one = new LlamaModel(weights, kernels);
        KvCache full = one.newCache(n + extra, KvCache.Storage.F32);
        int layers = weights.config().layers();
        for (KvCache c : local)
            for (int p = 0; p < c.pages(); p++) {
                int tokens = c.pageLength(p);
                for (int l = 0; l < layers; l++)
                    full.write(l, c.keysFilled(l, p, tokens, null), 0, c.valuesFilled(l, p, tokens, null), 0, tokens, c.pagePositions(p), 0);
                full.advance(tokens);
            }
        return full;
    }

    @Override public String respond(int[] prompt, int maxNew) {
        try {
            KvCache cache = prefill(Arrays.copyOf(prompt, prompt.length - 1), maxNew + 1);
            Generator g = new Generator(new LlamaModel(weights, kernels), cache, 256);
            int eos = codec.eosId();
            Generator.Result r = g.generate(new int[] {prompt[prompt.length - 1]}, maxNew, Sampler.greedy(), id -> id == eos, new Generator.Listener() {});
            int[] out = r.newTokens();
            if (r.stoppedAtEos()) out = Arrays.copyOf(out, out.length - 1);
            return codec.decode(out);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("ring prefill failed: " + e.getMessage(), e);
        }
    }
}
