package lwm.model;

import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LlamaWeightsTest {
    static final LlamaConfig SMALL = new LlamaConfig(50, 16, 24, 2, 4, 2, 4, 64, 1e4, 1e-5f, false, 1, 2);

    static String error(Map<String, Tensor> m, LlamaConfig c) {
        return assertThrows(IllegalArgumentException.class, () -> LlamaWeights.from(c, TensorSource.of(m))).getMessage();
    }

    @Test
    void completeCheckpointLoadsAndCountsBytes() {
        try (Arena a = Arena.ofConfined()) {
            Map<String, Tensor> m = RandomWeights.create(SMALL, DType.BF16, 1, a);
            LlamaWeights w = LlamaWeights.from(SMALL, TensorSource.of(m));
            long elements = m.values().stream().mapToLong(Tensor::numel).sum();
            assertEquals(2 * elements, w.bytes());
            assertEquals(DType.BF16, w.dtype());
            assertSame(m.get("model.layers.1.mlp.down_proj.weight"), w.layers()[1].down());
        }
    }

    @Test
    void eachProblemNamesTheTensor() {
        try (Arena a = Arena.ofConfined()) {
            Map<String, Tensor> m = RandomWeights.create(SMALL, DType.F32, 1, a);
            Tensor k = m.remove("model.layers.1.self_attn.k_proj.weight");
            String e = error(m, SMALL);
            assertEquals("tensor 'model.layers.1.self_attn.k_proj.weight' is missing from the checkpoint", e);
            // GQA: k_proj must be [kvHeads*headDim, hidden] = [8, 16], not [16, 16]
            m.put("model.layers.1.self_attn.k_proj.weight", Tensor.allocate(a, DType.F32, 16, 16));
            assertEquals("tensor 'model.layers.1.self_attn.k_proj.weight' has shape [16, 16], config.json implies [8, 16]", error(m, SMALL));
            m.put("model.layers.1.self_attn.k_proj.weight", Tensor.allocate(a, DType.I32, 8, 16));
            assertTrue(error(m, SMALL).startsWith("tensor 'model.layers.1.self_attn.k_proj.weight' has dtype I32"));
            m.put("model.layers.1.self_attn.k_proj.weight", k);
            m.put("model.layers.2.mlp.up_proj.weight", k);
            assertEquals("tensor 'model.layers.2.mlp.up_proj.weight' is not part of a 2-layer LLaMA model", error(m, SMALL));
            m.remove("model.layers.2.mlp.up_proj.weight");
            m.put("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.allocate(a, DType.F32, 2));
            assertDoesNotThrow(() -> LlamaWeights.from(SMALL, TensorSource.of(m)));
        }
    }

    @Test
    void tiedEmbeddingsNeedNoHead() {
        LlamaConfig tied = new LlamaConfig(50, 16, 24, 1, 4, 4, 4, 64, 1e4, 1e-5f, true, 1, 2);
        try (Arena a = Arena.ofConfined()) {
            Map<String, Tensor> m = RandomWeights.create(tied, DType.F16, 3, a);
            assertFalse(m.containsKey(LlamaWeights.LM_HEAD));
            LlamaWeights w = LlamaWeights.from(tied, TensorSource.of(m));
            assertSame(w.embed(), w.lmHead());
            assertFalse(w.named().containsKey(LlamaWeights.LM_HEAD));
            LlamaConfig untied = new LlamaConfig(50, 16, 24, 1, 4, 4, 4, 64, 1e4, 1e-5f, false, 1, 2);
            assertEquals("tensor 'lm_head.weight' is missing from the checkpoint", error(m, untied));
        }
    }
}
