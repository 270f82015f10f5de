package lwm.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.model.LlamaConfig;
import lwm.model.data.PackingLoader;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsCheckpoint;
import lwm.tensor.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training checkpoints. A checkpoint directory holds
 * <ul>
 *   <li>{@code config.json} + {@code model.safetensors} (or shards): the model in Hugging Face LLaMA
 *       layout, fp32, loadable by {@code ./lwm generate} and by transformers;</li>
 *   <li>{@code optimizer.safetensors}: AdamW moments {@code m.<name>}, {@code v.<name>};</li>
 *   <li>{@code trainer_state.json}: stage, steps, optimizer step, data position (which is also the RNG
 *       state: shuffling is a pure function of seed, epoch and cursor).</li>
 * </ul>
 * The directory is written under a temporary name and renamed into place, then {@code latest} is
 * replaced (temp + rename): a crash leaves the previous checkpoint in force.
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String STATE = "trainer_state.json", OPTIMIZER = "optimizer.safetensors", LATEST = "latest";
    /** Single-file models up to this size; larger ones are sharded like HF does. */
    static final long SHARD_BYTES = 4L << 30;

    /** Where training stands; with the weights and moments this is everything a resumed run needs. */
    public record State(int stage, int stageStep, long globalStep, long optimizerStep, PackingLoader.State data) {}

    /** Writes config.json and the weights of {@code m} into an existing directory. */
    static void writeModel(Path dir, TrainableLlama m) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            long bytes = 0;
            for (Param p : m.params()) { tensors.put(p.name, offHeap(arena, p.data, p.shape)); bytes += 4L * p.size(); }
            if (bytes > SHARD_BYTES) SafetensorsWriter.writeSharded(dir, tensors, SHARD_BYTES, Map.of("format", "pt"));
            else SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE), tensors, Map.of("format", "pt"));
        }
        m.config().write(dir.resolve("config.json"), "float32");
    }

    /** The writer streams from native memory (heap float segments have no byte-buffer view). */
    static Tensor offHeap(Arena arena, float[] data, long[] shape) {
        Tensor t = Tensor.allocate(arena, DType.F32, shape);
        MemorySegment.copy(data, 0, t.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, data.length);
        return t;
    }

    /** Exports the model alone (end of a stage) as a Hugging Face directory, atomically. */
    public static void exportModel(Path dir, TrainableLlama m) {
        atomicDirectory(dir, tmp -> writeModel(tmp, m));
    }

    /** Saves a full training checkpoint as {@code root/name} and points {@code root/latest} at it. */
    public static Path save(Path root, String name, TrainableLlama m, AdamW opt, State s) {
        Path dir = root.resolve(name);
        atomicDirectory(dir, tmp -> {
            writeModel(tmp, m);
            try (Arena arena = Arena.ofConfined()) {
                Map<String, Tensor> moments = new LinkedHashMap<>();
                for (int i = 0; i < m.params().size(); i++) {
                    Param p = m.params().get(i);
                    moments.put("m." + p.name, offHeap(arena, opt.firstMoment(i), p.shape));
                    moments.put("v." + p.name, offHeap(arena, opt.secondMoment(i), p.shape));
                }
                SafetensorsWriter.write(tmp.resolve(OPTIMIZER), moments, Map.of("step", Long.toString(opt.step())));
            }
            ObjectNode o = JSON.createObjectNode();
            o.put("stage", s.stage()).put("stage_step", s.stageStep()).put("global_step", s.globalStep())
                    .put("optimizer_step", s.optimizerStep());
            o.putObject("data").put("epoch", s.data().epoch()).put("cursor", s.data().cursor()).put("offset", s.data().offset());
            Files.writeString(tmp.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
        });
        writeAtomically(root.resolve(LATEST), name);
        return dir;
    }

    /** The checkpoint {@code latest} points at, or null when there is none. */
    public static Path latest(Path root) {
        Path l = root.resolve(LATEST);
        if (!Files.isRegularFile(l)) return null;
        try {
            Path dir = root.resolve(Files.readString(l).trim());
            if (!Files.isRegularFile(dir.resolve(STATE))) throw new IllegalArgumentException(l + " names " + dir + ", which is not a complete checkpoint");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static State readState(Path dir) {
        Path f = dir.resolve(STATE);
        try {
            JsonNode n = JSON.readTree(Files.readString(f));
            JsonNode d = n.get("data");
            return new State(n.get("stage").intValue(), n.get("stage_step").intValue(), n.get("global_step").longValue(),
                    n.get("optimizer_step").longValue(), new PackingLoader.State(d.get("epoch").intValue(), d.get("cursor").intValue(), d.get("offset").intValue()));
        } catch (IOException | NullPointerException e) {
            throw new IllegalArgumentException(f + ": not a valid trainer state (" + e.getMessage() + ")");
        }
    }

    /** Loads the weights of a HF-layout directory (ours or any LLaMA checkpoint) under the given config. */
    public static TrainableLlama loadModel(Path dir, LlamaConfig config) {
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            return TrainableLlama.load(config, name -> ck.has(name) ? ck.tensor(name) : null);
        }
    }

    /** Restores the AdamW moments and step saved with the checkpoint into {@code opt}. */
    public static void loadOptimizer(Path dir, TrainableLlama m, AdamW opt) {
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir.resolve(OPTIMIZER))) {
            for (int i = 0; i < m.params().size(); i++) {
                Param p = m.params().get(i);
                copy(ck, "m." + p.name, opt.firstMoment(i));
                copy(ck, "v." + p.name, opt.secondMoment(i));
            }
            opt.setStep(Long.parseLong(ck.metadata().get("step")));
        }
    }

    private static void copy(SafetensorsCheckpoint ck, String name, float[] into) {
        if (!ck.has(name)) throw new IllegalArgumentException("optimizer state has no tensor '" + name + "'");
        float[] v = ck.tensor(name).toFloatArray();
        if (v.length != into.length) throw new IllegalArgumentException("optimizer tensor '" + name + "' has " + v.length + " values, expected " + into.length);
        System.arraycopy(v, 0, into, 0, v.length);
    }

    interface DirWriter { void write(Path tmp) throws IOException; }

    /** Builds {@code dir} under a temporary sibling name, then renames it into place. */
    static void atomicDirectory(Path dir, DirWriter w) {
        Path parent = dir.toAbsolutePath().getParent();
        Path tmp = parent.resolve(".tmp-" + dir.getFileName() + "-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            w.write(tmp);
            if (Files.exists(dir)) { // an older copy (a resumed run re-saving a step): move it aside first
                Path old = parent.resolve(".old-" + dir.getFileName() + "-" + ProcessHandle.current().pid());
                deleteTree(old);
                Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    static void writeAtomically(Path file, String text) {
        try {
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
