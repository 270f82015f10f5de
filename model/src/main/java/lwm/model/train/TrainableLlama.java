package lwm.model.train;

import lwm.model.LlamaConfig;
import lwm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A LLaMA/LWM model as fp32 master weights with gradients, named exactly as Hugging Face
 * {@code LlamaForCausalLM} names them so a checkpoint round-trips through transformers.
 * Linear weights are [out, in] like {@code torch.nn.Linear.weight}.
 */
public final class TrainableLlama {

    /** The parameters of one decoder block. */
    public record Layer(Param attnNorm, Param wq, Param wk, Param wv, Param wo,
                        Param mlpNorm, Param gate, Param up, Param down) {}

    private final LlamaConfig config;
    public final Param embed;
    public final Layer[] layers;
    public final Param finalNorm;
    /** The output head; the same object as {@link #embed} when the config ties them. */
    public final Param lmHead;
    private final List<Param> params;

    private TrainableLlama(LlamaConfig c) {
        this.config = c;
        int d = c.hiddenSize(), inter = c.intermediateSize();
        List<Param> ps = new ArrayList<>();
        embed = add(ps, new Param("model.embed_tokens.weight", c.vocabSize(), d));
        layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            layers[l] = new Layer(
                    add(ps, new Param(p + "input_layernorm.weight", d)),
                    add(ps, new Param(p + "self_attn.q_proj.weight", c.qDim(), d)),
                    add(ps, new Param(p + "self_attn.k_proj.weight", c.kvDim(), d)),
                    add(ps, new Param(p + "self_attn.v_proj.weight", c.kvDim(), d)),
                    add(ps, new Param(p + "self_attn.o_proj.weight", d, c.qDim())),
                    add(ps, new Param(p + "post_attention_layernorm.weight", d)),
                    add(ps, new Param(p + "mlp.gate_proj.weight", inter, d)),
                    add(ps, new Param(p + "mlp.up_proj.weight", inter, d)),
                    add(ps, new Param(p + "mlp.down_proj.weight", d, inter)));
        }
        finalNorm = add(ps, new Param("model.norm.weight", d));
        lmHead = c.tieWordEmbeddings() ? embed : add(ps, new Param("lm_head.weight", c.vocabSize(), d));
        params = Collections.unmodifiableList(ps);
    }

    private static Param add(List<Param> ps, Param p) { ps.add(p); return p; }

    /** Random initialisation as LWM/HF do it: N(0, std) for matrices, ones for norm gains. */
    public static TrainableLlama initialise(LlamaConfig c, long seed, double std) {
        TrainableLlama m = new TrainableLlama(c);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param p : m.params) {
            if (p.isVector()) java.util.Arrays.fill(p.data, 1f);
            else for (int i = 0; i < p.data.length; i++) p.data[i] = (float) (gaussian(rnd) * std);
        }
        return m;
    }

    /**
     * Loads the weights by their HF names; {@code source} returns the stored tensor (any float dtype)
     * or null when missing, which is an error naming the tensor.
     */
    public static TrainableLlama load(LlamaConfig c, Function<String, Tensor> source) {
        TrainableLlama m = new TrainableLlama(c);
        for (Param p : m.params) {
            Tensor t = source.apply(p.name);
            if (t == null) throw new IllegalArgumentException("checkpoint has no tensor '" + p.name + "'");
            if (!java.util.Arrays.equals(t.shape(), p.shape))
                throw new IllegalArgumentException("tensor '" + p.name + "' has shape " + java.util.Arrays.toString(t.shape())
                        + ", config expects " + java.util.Arrays.toString(p.shape));
            float[] v = t.toFloatArray();
            System.arraycopy(v, 0, p.data, 0, v.length);
        }
        return m;
    }

    /** Same weights, another context length / RoPE base (the next stage of context extension). */
    public TrainableLlama withConfig(LlamaConfig next) {
        if (next.vocabSize() != config.vocabSize() || next.hiddenSize() != config.hiddenSize()
                || next.layers() != config.layers() || next.intermediateSize() != config.intermediateSize()
                || next.heads() != config.heads() || next.kvHeads() != config.kvHeads()
                || next.tieWordEmbeddings() != config.tieWordEmbeddings())
            throw new IllegalArgumentException("stage changes the model shape; only max_position_embeddings and rope_theta may change");
        TrainableLlama m = new TrainableLlama(next);
        for (int i = 0; i < params.size(); i++) System.arraycopy(params.get(i).data, 0, m.params.get(i).data, 0, params.get(i).size());
        return m;
    }

    static double gaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian of its own that is stable across JDKs
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    public LlamaConfig config() { return config; }

    /** Every distinct parameter, in checkpoint order. */
    public List<Param> params() { return params; }

    public Map<String, Param> byName() {
        Map<String, Param> m = new LinkedHashMap<>();
        for (Param p : params) m.put(p.name, p);
        return m;
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) n += p.size();
        return n;
    }

    public void zeroGrad() { for (Param p : params) p.zeroGrad(); }
}
