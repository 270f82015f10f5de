package lwm.tensor.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lwm.tensor.Tensor;

/**
 * A model's weights as Hugging Face saves them: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor: shard}}}).
 * Every shard is mapped on open and every name of the weight map checked against its shard, so a
 * broken checkpoint fails at once with a one-line message, not at the first use of a missing tensor.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private SafetensorsCheckpoint(Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.source = source;
        this.files = files;
        this.byName = byName;
    }

    /**
     * Opens a directory (holding {@value #INDEX} or {@value #SINGLE}; the index wins when both exist),
     * an index json, or a single safetensors file.
     */
    public static SafetensorsCheckpoint open(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            Path index = dirOrFile.resolve(INDEX);
            if (Files.isRegularFile(index)) return openIndex(index);
            Path single = dirOrFile.resolve(SINGLE);
            if (Files.isRegularFile(single)) return openSingle(single);
            String others;
            try (var files = Files.list(dirOrFile)) {
                others = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors") || n.endsWith(".index.json"))
                        .sorted().limit(5).collect(java.util.stream.Collectors.joining(", "));
            } catch (IOException e) {
                others = "";
            }
            throw new IllegalArgumentException(dirOrFile + ": no " + SINGLE + " or " + INDEX + " in this directory"
                    + (others.isEmpty() ? "" : " (it has " + others + "; pass that file instead)"));
        }
        if (!Files.exists(dirOrFile)) throw new IllegalArgumentException(dirOrFile + ": no such file or directory");
        if (!Files.isRegularFile(dirOrFile)) throw new IllegalArgumentException(dirOrFile + ": not a regular file");
        return dirOrFile.getFileName().toString().endsWith(".json") ? openIndex(dirOrFile) : openSingle(dirOrFile);
    }

    private static SafetensorsCheckpoint openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        for (String n : f.names()) byName.put(n, f);
        return new SafetensorsCheckpoint(file, List.of(f), Collections.unmodifiableMap(byName));
    }

    private static SafetensorsCheckpoint openIndex(Path index) {
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(Files.readAllBytes(index));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(index + ": no such file");
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + " column " + loc.getColumnNr();
            throw new SafetensorsFormatException(index, "JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(index + ": cannot read: " + SafetensorsFormatException.oneLine(e.toString()));
        }
        if (root == null || !root.isObject()) throw new SafetensorsFormatException(index, "not a JSON object");
        JsonNode map = root.get("weight_map");
        if (map == null) throw new SafetensorsFormatException(index, "missing weight_map");
        if (!map.isObject()) throw new SafetensorsFormatException(index, "weight_map is not a JSON object");

        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            for (var it = map.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                String tensor = e.getKey();
                if (!e.getValue().isTextual())
                    throw new SafetensorsFormatException(index, tensor, "weight_map value " + e.getValue() + " is not a file name");
                String shard = e.getValue().textValue();
                SafetensorsFile f = shards.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard).normalize();
                    if (shard.isEmpty() || !p.startsWith(dir) || p.equals(dir))
                        throw new SafetensorsFormatException(index, tensor, "shard '" + shard + "' is not a file in " + dir);
                    if (!Files.isRegularFile(p))
                        throw new SafetensorsFormatException(index, tensor, "shard '" + shard + "' does not exist");
                    f = SafetensorsFile.open(p);
                    shards.put(shard, f);
                }
                if (!f.has(tensor))
                    throw new SafetensorsFormatException(index, tensor, "listed in shard '" + shard + "', which does not hold it");
                byName.put(tensor, f);
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(index, List.copyOf(shards.values()), Collections.unmodifiableMap(byName));
    }

    /** The file opened: the single safetensors file or the index json. */
    public Path source() { return source; }

    /** The mapped safetensors files (one, or every shard). */
    public List<SafetensorsFile> files() { return files; }

    /** Tensor names: the single file's header order, or the weight map's order. */
    public List<String> names() { return new ArrayList<>(byName.keySet()); }

    public boolean has(String name) { return byName.containsKey(name); }

    public TensorInfo info(String name) { return fileOf(name).info(name); }

    /** A zero-copy, read-only view into the mapped file holding {@code name}. */
    public Tensor tensor(String name) { return fileOf(name).tensor(name); }

    /** The {@code __metadata__} of the (first) file: {@link SafetensorsWriter} puts the same map in every shard. */
    public Map<String, String> metadata() { return files.isEmpty() ? Map.of() : files.getFirst().metadata(); }

    private SafetensorsFile fileOf(String name) {
        SafetensorsFile f = byName.get(name);
        if (f == null) throw new IllegalArgumentException(source + ": no tensor '" + name + "'");
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
