package lwm.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsCheckpoint;
import lwm.tensor.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Writes a random checkpoint in Hugging Face layout, one shard per decoder layer (plus one for the
 * embeddings and one for norm and head), so a 7B model is generated a few hundred MB at a time rather
 * than held whole in memory. Useful for memory and speed tests without downloading 13 GB.
 */
public final class RandomCheckpoint {
    private RandomCheckpoint() {}

    /** Returns the bytes of tensor data written. {@code progress} receives one line per shard. */
    public static long write(LlamaConfig c, DType dtype, long seed, Path dir, Consumer<String> progress) throws IOException {
        Files.createDirectories(dir);
        Map<String, long[]> shapes = LlamaWeights.expectedShapes(c);
        List<List<String>> shards = new ArrayList<>();
        shards.add(List.of(LlamaWeights.EMBED));
        for (int l = 0; l < c.layers(); l++) {
            String p = LlamaWeights.layerPrefix(l);
            shards.add(shapes.keySet().stream().filter(n -> n.startsWith(p)).toList());
        }
        shards.add(shapes.keySet().stream().filter(n -> n.equals(LlamaWeights.NORM) || n.equals(LlamaWeights.LM_HEAD)).toList());
        Map<String, String> weightMap = new TreeMap<>();
        List<String> names = new ArrayList<>(shapes.keySet());
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            try (Arena arena = Arena.ofShared()) {
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                for (String n : shards.get(s)) {
                    Tensor t = RandomWeights.tensor(n, shapes.get(n), dtype, seed + 7919L * names.indexOf(n), arena, 0.02);
                    tensors.put(n, t);
                    total += t.numel() * dtype.bytes;
                    weightMap.put(n, file);
                }
                SafetensorsWriter.write(dir.resolve(file), tensors, Map.of("format", "pt"));
            }
            progress.accept(String.format("wrote %s (%d/%d, %.2f GiB so far)", file, s + 1, shards.size(), total / (double) (1L << 30)));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        atomicWrite(dir.resolve(SafetensorsCheckpoint.INDEX), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        Path tmpCfg = dir.resolve("config.json.tmp");
        c.write(tmpCfg, dtype == DType.F32 ? "float32" : dtype == DType.BF16 ? "bfloat16" : "float16");
        Files.move(tmpCfg, dir.resolve("config.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return total;
    }

    static void atomicWrite(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
