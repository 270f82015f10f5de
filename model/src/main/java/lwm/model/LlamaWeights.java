package lwm.model;

import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a LLaMA model under Hugging Face names, in their stored dtype (f32, bf16 or f16), each
 * checked against the config. Nothing is converted: a bf16 7B model stays 13.5 GB of mapped file.
 */
public record LlamaWeights(LlamaConfig config, Tensor embed, Layer[] layers, Tensor finalNorm, Tensor lmHead) {

    /** One decoder block; projections are [out, in] like torch.nn.Linear.weight. */
    public record Layer(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        Tensor ffnNorm, Tensor gate, Tensor up, Tensor down) {
        Tensor[] all() { return new Tensor[]{attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down}; }
    }

    public static final String EMBED = "model.embed_tokens.weight", NORM = "model.norm.weight", LM_HEAD = "lm_head.weight";

    /** The expected name -> shape of every tensor (lm_head omitted when embeddings are tied). */
    public static Map<String, long[]> expectedShapes(LlamaConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize(), f = c.intermediateSize();
        m.put(EMBED, new long[]{c.vocabSize(), h});
        for (int l = 0; l < c.layers(); l++) {
            String p = layerPrefix(l);
            m.put(p + "input_layernorm.weight", new long[]{h});
            m.put(p + "self_attn.q_proj.weight", new long[]{c.qDim(), h});
            m.put(p + "self_attn.k_proj.weight", new long[]{c.kvDim(), h});
            m.put(p + "self_attn.v_proj.weight", new long[]{c.kvDim(), h});
            m.put(p + "self_attn.o_proj.weight", new long[]{h, c.qDim()});
            m.put(p + "post_attention_layernorm.weight", new long[]{h});
            m.put(p + "mlp.gate_proj.weight", new long[]{f, h});
            m.put(p + "mlp.up_proj.weight", new long[]{f, h});
            m.put(p + "mlp.down_proj.weight", new long[]{h, f});
        }
        m.put(NORM, new long[]{h});
        if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new long[]{c.vocabSize(), h});
        return m;
    }

    public static String layerPrefix(int l) { return "model.layers." + l + "."; }

    /**
     * Looks up and validates every tensor. Errors are one line naming the tensor: missing, wrong shape,
     * non-float dtype, or a name the architecture does not have (a sign of a different model).
     * A tied checkpoint may still carry an lm_head (some exporters write it); it is then ignored.
     */
    public static LlamaWeights from(LlamaConfig c, TensorSource src) {
        Map<String, long[]> expected = expectedShapes(c);
        Map<String, Tensor> got = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            String name = e.getKey();
            if (!src.has(name)) throw new IllegalArgumentException("tensor '" + name + "' is missing from the checkpoint");
            Tensor t = src.tensor(name);
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + ", config.json implies " + Arrays.toString(e.getValue()));
            if (!t.dtype().isFloat())
                throw new IllegalArgumentException("tensor '" + name + "' has dtype " + t.dtype() + ", expected F32, BF16 or F16");
            got.put(name, t);
        }
        Set<String> known = new HashSet<>(expected.keySet());
        known.add(LM_HEAD);
        List<String> unknown = new ArrayList<>();
        for (String n : src.names())
            if (!known.contains(n) && !n.endsWith(".rotary_emb.inv_freq")) unknown.add(n); // old exports saved the RoPE buffer
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("tensor '" + unknown.get(0) + "' is not part of a " + c.layers() + "-layer LLaMA model"
                    + (unknown.size() > 1 ? " (and " + (unknown.size() - 1) + " more)" : ""));
        Layer[] layers = new Layer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            String p = layerPrefix(l);
            layers[l] = new Layer(got.get(p + "input_layernorm.weight"), got.get(p + "self_attn.q_proj.weight"),
                    got.get(p + "self_attn.k_proj.weight"), got.get(p + "self_attn.v_proj.weight"),
                    got.get(p + "self_attn.o_proj.weight"), got.get(p + "post_attention_layernorm.weight"),
                    got.get(p + "mlp.gate_proj.weight"), got.get(p + "mlp.up_proj.weight"), got.get(p + "mlp.down_proj.weight"));
        }
        Tensor embed = got.get(EMBED);
        Tensor head = c.tieWordEmbeddings() ? embed : got.get(LM_HEAD);
        return new LlamaWeights(c, embed, layers, got.get(NORM), head);
    }

    /** Every tensor under its Hugging Face name (lm_head only when untied): what a writer saves. */
    public Map<String, Tensor> named() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(EMBED, embed);
        String[] suffix = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"};
        for (int l = 0; l < layers.length; l++) {
            Tensor[] all = layers[l].all();
            for (int i = 0; i < all.length; i++) m.put(layerPrefix(l) + suffix[i], all[i]);
        }
        m.put(NORM, finalNorm);
        if (!config.tieWordEmbeddings()) m.put(LM_HEAD, lmHead);
        return m;
    }

    /** Bytes of weight data (each tensor once, so tied embeddings count once). */
    public long bytes() {
        long b = 0;
        for (Tensor t : named().values()) b += t.numel() * t.dtype().bytes;
        return b;
    }

    /** Bytes one decode step reads: every projection, the norms and the head, plus one embedding row. */
    public long bytesPerToken() {
        long b = bytes() - embed.numel() * embed.dtype().bytes + config.hiddenSize() * (long) embed.dtype().bytes;
        if (config.tieWordEmbeddings()) b += lmHead.numel() * lmHead.dtype().bytes;
        return b;
    }

    /** The dtype most tensors are stored in (for reports). */
    public DType dtype() { return layers.length > 0 ? layers[0].wq().dtype() : embed.dtype(); }
}
