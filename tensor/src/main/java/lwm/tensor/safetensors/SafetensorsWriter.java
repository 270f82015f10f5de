package lwm.tensor.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import lwm.tensor.Tensor;

/**
 * Writes safetensors files that the reference implementation (and {@link SafetensorsFile}) reads:
 * tensors ordered by element size, largest first, then by name, so that each one starts aligned to its
 * element size; the header padded with spaces to a multiple of 8 bytes. Tensor bytes are streamed from
 * their (off-heap, possibly strided) memory in bounded chunks: the file is never assembled in the heap.
 * Each file is written to a temporary file in the same directory (created if missing), forced to disk,
 * made mode 0644 and renamed over the target, so readers see the old file or the complete new one, never
 * a partial one; a reader that has the old file mapped keeps reading the old bytes. I/O failures (disk
 * full, no permission) throw {@link UncheckedIOException} with a one-line message naming the target;
 * bad arguments throw {@link IllegalArgumentException}.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** Bytes moved per write call; a package-private knob so tests can force many chunks on small tensors. */
    static long chunkBytes = 8L << 20;

    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Map.Entry<String, Tensor>> order = layoutOrder(file, tensors);
        byte[] header = header(order, metadata == null ? Map.of() : metadata);
        atomically(file, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (var e : order) writeTensor(ch, e.getValue());
        });
    }

    /** Shards as {@link #writeSharded(Path, Map, long, Map)} with no metadata. */
    public static Path writeSharded(Path dir, Map<String, Tensor> tensors, long maxShardBytes) {
        return writeSharded(dir, tensors, maxShardBytes, Map.of());
    }

    /**
     * Writes {@code model-0000i-of-0000N.safetensors} shards of at most {@code maxShardBytes} of tensor data
     * each (a larger tensor gets a shard of its own), filled in the map's iteration order, then
     * {@value SafetensorsCheckpoint#INDEX}. The index is written last: it is the commit point, so a crash
     * leaves the previous index (and the shards it names) in force. Shard files of that naming pattern
     * that the new index does not name are deleted afterwards. Returns the index path.
     */
    public static Path writeSharded(Path dir, Map<String, Tensor> tensors, long maxShardBytes, Map<String, String> metadata) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX);
        layoutOrder(index, tensors); // validates names before anything is written
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> current = new LinkedHashMap<>();
        long currentBytes = 0, total = 0;
        for (var e : tensors.entrySet()) {
            long b = bytesOf(e.getValue());
            if (!current.isEmpty() && currentBytes + b > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += b;
            total += b;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);

        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create directory: " + e.getMessage(), e);
        }
        Map<String, String> weightMap = new TreeMap<>();
        Set<String> written = new HashSet<>();
        int n = shards.size();
        for (int i = 0; i < n; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
            write(dir.resolve(name), shards.get(i), metadata);
            written.add(name);
            for (String t : shards.get(i).keySet()) weightMap.put(t, name);
        }
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        ObjectNode meta = root.putObject("metadata");
        if (metadata != null) metadata.forEach(meta::put);
        meta.put("total_size", total);
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        byte[] json;
        try {
            json = SafetensorsHeader.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        atomically(index, ch -> writeFully(ch, ByteBuffer.wrap(json)));

        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String f = p.getFileName().toString();
                if (SHARD.matcher(f).matches() && !written.contains(f)) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot remove stale shards: " + e.getMessage(), e);
        }
        return index;
    }

    // ------------------------------------------------------------------ layout and header

    static List<Map.Entry<String, Tensor>> layoutOrder(Path file, Map<String, Tensor> tensors) {
        List<Map.Entry<String, Tensor>> order = new ArrayList<>(tensors.size());
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty()) throw new IllegalArgumentException(file + ": empty tensor name");
            if (name.equals(SafetensorsHeader.METADATA_KEY)) throw new IllegalArgumentException(file + ": '" + name + "' is reserved for metadata");
            if (e.getValue() == null) throw new IllegalArgumentException(file + ": tensor '" + name + "' is null");
            order.add(Map.entry(name, e.getValue()));
        }
        order.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -e.getValue().dtype().bytes)
                .thenComparing(Map.Entry::getKey));
        return order;
    }

    private static long bytesOf(Tensor t) {
        return Math.multiplyExact(t.numel(), (long) t.dtype().bytes);
    }

    static byte[] header(List<Map.Entry<String, Tensor>> order, Map<String, String> metadata) {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsHeader.METADATA_KEY);
            for (var e : metadata.entrySet()) { // sorted below, so that equal inputs give equal bytes
                if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException("metadata keys and values must not be null");
            }
            new TreeMap<>(metadata).forEach(m::put);
        }
        long at = 0;
        for (var e : order) {
            Tensor t = e.getValue();
            ObjectNode o = root.putObject(e.getKey());
            o.put("dtype", t.dtype().safetensorsName);
            var shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long end = at + bytesOf(t);
            o.putArray("data_offsets").add(at).add(end);
            at = end;
        }
        byte[] json;
        try {
            json = SafetensorsHeader.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (int) ((json.length + 8 + 7) / 8 * 8 - 8);
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    // ------------------------------------------------------------------ streaming

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        long n = t.numel();
        if (n == 0) return;
        long w = t.dtype().bytes;
        // heap segments over float[]/short[]... cannot become ByteBuffers: those are gathered like views
        if (t.isContiguous() && t.segment().isNative()) {
            MemorySegment src = t.segment().asSlice(t.offset() * w, n * w);
            for (long pos = 0; pos < src.byteSize(); ) {
                long k = Math.min(chunkBytes, src.byteSize() - pos);
                writeFully(ch, src.asSlice(pos, k).asByteBuffer());
                pos += k;
            }
            return;
        }
        long perChunk = Math.max(1, chunkBytes / w);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.min(n, perChunk) * w);
            for (long pos = 0; pos < n; ) {
                long k = Math.min(perChunk, n - pos);
                t.copyRawTo(pos, k, buf, 0);
                writeFully(ch, buf.asSlice(0, k * w).asByteBuffer());
                pos += k;
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private interface Body {
        void write(FileChannel ch) throws IOException;
    }

    private static void atomically(Path target, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            PosixFileAttributeView posix = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            if (posix != null) posix.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + SafetensorsFormatException.oneLine(e.toString()), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** Makes the rename itself durable; some platforms cannot open a directory, and lose only that. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // durability of the rename is best effort; the file content is already forced
        }
    }
}
