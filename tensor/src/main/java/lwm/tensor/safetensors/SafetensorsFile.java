package lwm.tensor.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lwm.tensor.Tensor;

/**
 * One safetensors file, memory-mapped read-only: {@link #tensor} returns views straight into the mapping
 * (zero copy; writes to them fail). The header is validated on open, so every tensor handed out lies
 * inside the file. All offsets are {@code long}: files and tensors past 2 GiB / 2^31 elements work.
 * {@link #close()} unmaps; tensors obtained earlier must not be used after it (access then throws).
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
    }

    public static SafetensorsFile open(Path path) {
        // a FIFO or device would block or stream forever: only plain files are opened
        if (java.nio.file.Files.exists(path) && !java.nio.file.Files.isRegularFile(path))
            throw new IllegalArgumentException(path + ": not a regular file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsFormatException(path, "file of " + size + " bytes is too short for a safetensors header");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n == 0) throw new SafetensorsFormatException(path, "header length is 0");
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES)
                throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                        + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
            if (n > size - 8)
                throw new SafetensorsFormatException(path, "header length " + n + " runs past the end of the " + size + "-byte file");
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(ch, json, 8);
            SafetensorsHeader header = SafetensorsHeader.parse(path, json.array(), size - 8 - n);
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new SafetensorsFile(path, arena, all.asSlice(8 + n), header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new IllegalArgumentException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new IllegalArgumentException(path + ": cannot read: " + SafetensorsFormatException.oneLine(e.toString()));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw new IOException("file shrank while being read");
        }
    }

    public Path path() { return path; }

    /** Tensor names in header order (the {@code __metadata__} entry excluded). */
    public List<String> names() { return new ArrayList<>(header.tensors().keySet()); }

    public boolean has(String name) { return header.tensors().containsKey(name); }

    /** The {@code __metadata__} string map (empty when the file has none). */
    public Map<String, String> metadata() { return header.metadata(); }

    /** Header entries by name, in header order. */
    public Map<String, TensorInfo> infos() { return header.tensors(); }

    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor '" + name + "'");
        return t;
    }

    /** The tensor's raw little-endian bytes (a read-only slice of the mapping). */
    public MemorySegment bytes(String name) {
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.byteSize());
    }

    /** A zero-copy, read-only, row-major view of the tensor. */
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        if (t.dtype() == null)
            throw new SafetensorsFormatException(path, name, "dtype " + t.dtypeName() + " is not supported (F32, BF16, F16, I32, I64 are)");
        return Tensor.wrap(data.asSlice(t.begin(), t.byteSize()), t.dtype(), t.shape());
    }

    /** Size in bytes of the data section (after the 8-byte length and the header). */
    public long dataBytes() { return data.byteSize(); }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() { return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]"; }
}
