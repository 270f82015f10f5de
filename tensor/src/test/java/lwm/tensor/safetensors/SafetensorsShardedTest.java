package lwm.tensor.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsShardedTest {
    @TempDir Path dir;
    final SplittableRandom rnd = new SplittableRandom(System.nanoTime());

    Map<String, Tensor> model(Arena arena, int layers) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            float[] v = new float[24];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            m.put("layers." + l + ".w", Tensor.fromFloats(arena, l % 2 == 0 ? DType.F32 : DType.BF16, v, 4, 6));
        }
        return m;
    }

    @Test
    void shardsIndexAndReadBack() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = model(arena, 5); // f32 96 bytes, bf16 48 bytes
            Path index = SafetensorsWriter.writeSharded(dir, m, 150, Map.of("step", "7"));
            assertEquals(dir.resolve(SafetensorsCheckpoint.INDEX), index);
            JsonNode root = new ObjectMapper().readTree(index.toFile());
            assertEquals(96 * 3 + 48 * 2, root.get("metadata").get("total_size").asLong());
            // 96+48 | 96+48 | 96
            assertEquals("model-00001-of-00003.safetensors", root.get("weight_map").get("layers.0.w").asText());
            assertEquals("model-00001-of-00003.safetensors", root.get("weight_map").get("layers.1.w").asText());
            assertEquals("model-00003-of-00003.safetensors", root.get("weight_map").get("layers.4.w").asText());
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                assertEquals(3, ck.files().size());
                assertEquals(new TreeSet<>(m.keySet()), new TreeSet<>(ck.names()));
                assertEquals("7", ck.metadata().get("step"));
                for (var e : m.entrySet()) {
                    assertTrue(ck.has(e.getKey()));
                    assertArrayEquals(e.getValue().toFloatArray(), ck.tensor(e.getKey()).toFloatArray(), e.getKey());
                    assertEquals(e.getValue().dtype(), ck.tensor(e.getKey()).dtype());
                }
                assertFalse(ck.has("nope"));
                var ex = assertThrows(IllegalArgumentException.class, () -> ck.tensor("nope"));
                assertTrue(ex.getMessage().contains("nope") && ex.getMessage().contains(SafetensorsCheckpoint.INDEX));
            }
            // the index json itself opens too
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(index)) {
                assertEquals(5, ck.names().size());
            }
            // rewriting with fewer shards removes the stale ones; the index names only live shards
            SafetensorsWriter.writeSharded(dir, m, 1L << 20);
            try (var s = Files.list(dir)) {
                assertEquals(new TreeSet<>(java.util.List.of("model-00001-of-00001.safetensors", SafetensorsCheckpoint.INDEX)),
                        new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()));
            }
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                assertEquals(1, ck.files().size());
                assertArrayEquals(m.get("layers.3.w").toFloatArray(), ck.tensor("layers.3.w").toFloatArray());
            }
        }
    }

    @Test
    void aTensorLargerThanTheLimitGetsItsOwnShard() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = model(arena, 3);
            SafetensorsWriter.writeSharded(dir, m, 10);
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                assertEquals(3, ck.files().size());
            }
        }
    }

    @Test
    void singleFileDirectoryAndErrors() {
        try (Arena arena = Arena.ofConfined()) {
            var ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsCheckpoint.open(dir));
            assertTrue(ex.getMessage().contains("no model.safetensors"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SafetensorsCheckpoint.open(dir.resolve("missing.safetensors")));
            SafetensorsWriter.write(dir.resolve("weights.safetensors"), model(arena, 1), Map.of());
            var hint = assertThrows(IllegalArgumentException.class, () -> SafetensorsCheckpoint.open(dir));
            assertTrue(hint.getMessage().contains("it has weights.safetensors"), hint.getMessage());
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir.resolve("weights.safetensors"))) {
                assertEquals(java.util.List.of("layers.0.w"), ck.names());
            }
            SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE), model(arena, 2), Map.of());
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                assertEquals(2, ck.names().size());
                assertEquals(dir.resolve(SafetensorsCheckpoint.SINGLE), ck.source());
            }
            assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.writeSharded(dir, model(arena, 1), 0));
        }
    }

    @Test
    void badIndexes() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsWriter.writeSharded(dir, model(arena, 2), 1 << 20);
        }
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX);
        String shard = "model-00001-of-00001.safetensors";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"weight_map\": {\"layers.0.w\": \"model-00009-of-00009.safetensors\"}}", "does not exist");
        cases.put("{\"weight_map\": {\"layers.0.w\": \"" + shard + "\", \"ghost\": \"" + shard + "\"}}", "ghost");
        cases.put("{\"weight_map\": {\"layers.0.w\": \"../" + shard + "\"}}", "not a file in");
        cases.put("{\"weight_map\": {\"layers.0.w\": 3}}", "not a file name");
        cases.put("{\"metadata\": {}}", "missing weight_map");
        cases.put("{\"weight_map\": []}", "weight_map is not a JSON object");
        cases.put("[1, 2]", "not a JSON object");
        cases.put("{\"weight_map\": {\"a\": ", "JSON at line 1");
        for (var c : cases.entrySet()) {
            Files.writeString(index, c.getKey());
            var ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsCheckpoint.open(dir), c.getKey());
            assertTrue(ex.getMessage().startsWith(index.toString()), ex.getMessage());
            assertTrue(ex.getMessage().contains(c.getValue()), "expected '" + c.getValue() + "' in: " + ex.getMessage());
            assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
        }
    }
}
