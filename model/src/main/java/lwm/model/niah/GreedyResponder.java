package lwm.model.niah;

import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaModel;
import lwm.model.Sampler;

/**
 * Greedy decoding as LWM's needle scripts do it (temperature 0, stop at EOS): a fresh KV cache per prompt,
 * prefill in chunks, then up to {@code maxNew} tokens, decoded to text.
 */
public final class GreedyResponder implements NiahEvaluator.Responder {
    private final LlamaModel model;
    private final PromptCodec codec;
    private final int prefillChunk;

    public GreedyResponder(LlamaModel model, PromptCodec codec, int prefillChunk) {
        if (codec.vocabSize() > model.config().vocabSize())
            throw new IllegalArgumentException("the prompt vocabulary (" + codec.vocabSize() + " ids) is larger than the model's (" + model.config().vocabSize() + ")");
        this.model = model;
        this.codec = codec;
        this.prefillChunk = prefillChunk;
    }

    @Override public String respond(int[] prompt, int maxNew) {
        KvCache cache = model.newCache(prompt.length + maxNew, KvCache.Storage.F32);
        Generator g = new Generator(model, cache, prefillChunk);
        int eos = codec.eosId();
        Generator.Result r = g.generate(prompt, maxNew, Sampler.greedy(), id -> id == eos, new Generator.Listener() {});
        int[] out = r.newTokens();
        if (r.stoppedAtEos()) out = java.util.Arrays.copyOf(out, out.length - 1);
        return codec.decode(out);
    }
}
