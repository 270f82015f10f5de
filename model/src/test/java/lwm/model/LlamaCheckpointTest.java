package lwm.model;

import lwm.kernels.ScalarKernels;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LlamaCheckpointTest {
    static final LlamaConfig C = new LlamaConfig(40, 16, 24, 2, 4, 2, 4, 128, 1e4, 1e-5f, false, 1, 2);

    @TempDir Path tmp;

    static String loadError(Path dir) {
        return assertThrows(IllegalArgumentException.class, () -> LlamaCheckpoint.load(dir)).getMessage();
    }

    @Test
    void shardedRandomCheckpointLoadsAndRunsLikeTheSameWeightsInMemory() throws Exception {
        Path dir = tmp.resolve("rand");
        StringBuilder log = new StringBuilder();
        long bytes = RandomCheckpoint.write(C, DType.BF16, 9, dir, l -> log.append(l).append('\n'));
        assertEquals(C.layers() + 2, log.toString().lines().count(), "one shard per layer + embeddings + head");
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        try (LlamaCheckpoint ck = LlamaCheckpoint.load(dir); Arena a = Arena.ofShared()) {
            assertEquals(C, ck.config());
            assertEquals(bytes, ck.weights().bytes());
            LlamaWeights mem = LlamaWeights.from(C, TensorSource.of(RandomWeights.create(C, DType.BF16, 9, a)));
            int[] ids = {1, 5, 39, 7, 7, 0};
            int[] pos = {0, 1, 2, 3, 4, 5};
            float[] got = new LlamaModel(ck.weights(), new ScalarKernels()).forward(ids, pos, new KvCache(2, C.kvDim(), 6, 6, KvCache.Storage.F32), LlamaModel.Logits.ALL);
            float[] want = new LlamaModel(mem, new ScalarKernels()).forward(ids, pos, new KvCache(2, C.kvDim(), 6, 6, KvCache.Storage.F32), LlamaModel.Logits.ALL);
            assertArrayEquals(want, got, "the written shards hold the same random weights");
        }
    }

    @Test
    void userMistakesAreOneLineNamingTheFileOrTensor() throws Exception {
        assertTrue(loadError(tmp.resolve("nope")).endsWith("nope: not a model directory"));
        Path dir = Files.createDirectories(tmp.resolve("m"));
        assertTrue(loadError(dir).contains("config.json: not found"));
        C.write(dir.resolve("config.json"), "float32");
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        assertTrue(loadError(dir).contains("PyTorch .bin weights are not read"));
        try (Arena a = Arena.ofShared()) {
            Map<String, Tensor> w = RandomWeights.create(C, DType.F32, 1, a);
            w.put("model.layers.0.mlp.up_proj.weight", Tensor.allocate(a, DType.F32, 24, 15));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w);
        }
        String e = loadError(dir);
        assertEquals(dir + ": tensor 'model.layers.0.mlp.up_proj.weight' has shape [24, 15], config.json implies [24, 16]", e);
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 16}");
        assertTrue(loadError(dir).contains("config.json: missing field '"), loadError(dir));
        for (String msg : new String[]{loadError(dir), e}) assertFalse(msg.contains("\n"));
    }
}
