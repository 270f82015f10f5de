package lwm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hyper-parameters of a LLaMA-architecture (LWM) model, read from and written as a Hugging Face
 * {@code config.json}. Both RoPE layouts are accepted: {@code rope_theta} at the top level (older
 * checkpoints, the released LWM ones) and {@code rope_parameters.rope_theta} (newer transformers).
 */
public record LlamaConfig(
        int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads, int headDim,
        int maxPositions, double ropeTheta, float rmsNormEps, boolean tieWordEmbeddings, int bosId, int eosId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public LlamaConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("num_key_value_heads", kvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        if (heads % kvHeads != 0)
            throw new IllegalArgumentException("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("rope_theta must be positive, got " + ropeTheta);
        if (!(rmsNormEps > 0)) throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, got " + v);
    }

    /** The same model with another context length and RoPE base (progressive context extension). */
    public LlamaConfig withContext(int maxPositions, double ropeTheta) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                maxPositions, ropeTheta, rmsNormEps, tieWordEmbeddings, bosId, eosId);
    }

    public int kvDim() { return kvHeads * headDim; }
    public int qDim() { return heads * headDim; }

    /** Reads {@code config.json}; every problem is one line naming the file and the field. */
    public static LlamaConfig read(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read config: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(file + ": not a JSON object");
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    public static LlamaConfig fromJson(JsonNode n) {
        String type = n.path("model_type").asText("llama");
        if (!type.equals("llama")) throw new IllegalArgumentException("model_type '" + type + "' is not a LLaMA model");
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (LLaMA uses silu)");
        int hidden = req(n, "hidden_size");
        int heads = req(n, "num_attention_heads");
        int kv = n.has("num_key_value_heads") && !n.get("num_key_value_heads").isNull() ? req(n, "num_key_value_heads") : heads;
        int headDim = n.has("head_dim") && !n.get("head_dim").isNull() ? req(n, "head_dim") : hidden / Math.max(heads, 1);
        double theta;
        if (n.hasNonNull("rope_theta")) theta = num(n, "rope_theta");
        else if (n.path("rope_parameters").hasNonNull("rope_theta")) theta = num(n.get("rope_parameters"), "rope_theta");
        else theta = 10000.0;
        String ropeType = n.path("rope_parameters").path("rope_type").asText("default");
        if (!ropeType.equals("default")) throw new IllegalArgumentException("rope_parameters.rope_type '" + ropeType + "' is not supported (only default)");
        if (n.hasNonNull("rope_scaling")) throw new IllegalArgumentException("rope_scaling is not supported (LWM extends context by raising rope_theta)");
        return new LlamaConfig(req(n, "vocab_size"), hidden, req(n, "intermediate_size"), req(n, "num_hidden_layers"),
                heads, kv, headDim,
                n.hasNonNull("max_position_embeddings") ? req(n, "max_position_embeddings") : 4096,
                theta,
                n.hasNonNull("rms_norm_eps") ? (float) num(n, "rms_norm_eps") : 1e-6f,
                n.path("tie_word_embeddings").asBoolean(false),
                n.hasNonNull("bos_token_id") ? firstInt(n.get("bos_token_id")) : 1,
                n.hasNonNull("eos_token_id") ? firstInt(n.get("eos_token_id")) : 2);
    }

    /** The Hugging Face {@code config.json} of this model (loadable by transformers' LlamaForCausalLM). */
    public ObjectNode toJson(String dtype) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", "llama");
        o.put("hidden_act", "silu");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", layers);
        o.put("num_attention_heads", heads);
        o.put("num_key_value_heads", kvHeads);
        o.put("head_dim", headDim);
        o.put("max_position_embeddings", maxPositions);
        o.put("rope_theta", ropeTheta);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("bos_token_id", bosId);
        o.put("eos_token_id", eosId);
        o.put("attention_bias", false);
        o.put("mlp_bias", false);
        o.put("torch_dtype", dtype);
        return o;
    }

    public void write(Path file, String dtype) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(dtype)));
    }

    private static int req(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field '" + field + "'");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("field '" + field + "' must be an integer, got " + v);
        return v.intValue();
    }

    private static double num(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (!v.isNumber()) throw new IllegalArgumentException("field '" + field + "' must be a number, got " + v);
        return v.doubleValue();
    }

    private static int firstInt(JsonNode v) {
        if (v.isArray() && !v.isEmpty()) return v.get(0).intValue();
        return v.intValue();
    }
}
