package lwm.model.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A JSONL file of training documents, read by random access so that a shuffled epoch streams from disk:
 * opening scans the file once for line offsets (8 bytes per document in memory), {@link #get} reads and
 * parses one line. Records are either text, {@code {"text": "..."}} (tokenised with the given
 * {@link TextEncoder}), or pre-tokenised, {@code {"ids": [...], "loss_mask": [...]?, "vision": [...]?}}.
 * A malformed record is a one-line error naming the file, the line and the field.
 */
public final class JsonlDocuments implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final long[] starts;   // byte offset of each non-blank line
    private final int[] lengths;   // its byte length
    private final int[] lineNumbers;
    private final TextEncoder encoder;

    private JsonlDocuments(Path file, FileChannel ch, long[] starts, int[] lengths, int[] lines, TextEncoder enc) {
        this.file = file;
        this.channel = ch;
        this.starts = starts;
        this.lengths = lengths;
        this.lineNumbers = lines;
        this.encoder = enc;
    }

    /** Opens and indexes {@code file}; {@code encoder} may be null when every record has "ids". */
    public static JsonlDocuments open(Path file, TextEncoder encoder) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such data file");
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            long[] starts = new long[1024];
            int[] lengths = new int[1024], lines = new int[1024];
            int n = 0, line = 0;
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long pos = 0, lineStart = 0;
            boolean blank = true;
            while (true) {
                buf.clear();
                int r = ch.read(buf, pos);
                if (r <= 0) break;
                for (int i = 0; i < r; i++) {
                    byte b = buf.get(i);
                    if (b == '\n') {
                        line++;
                        if (!blank) {
                            if (n == starts.length) { starts = Arrays.copyOf(starts, 2 * n); lengths = Arrays.copyOf(lengths, 2 * n); lines = Arrays.copyOf(lines, 2 * n); }
                            starts[n] = lineStart; lengths[n] = Math.toIntExact(pos + i - lineStart); lines[n] = line; n++;
                        }
                        lineStart = pos + i + 1;
                        blank = true;
                    } else if (b != ' ' && b != '\r' && b != '\t') blank = false;
                }
                pos += r;
            }
            if (!blank) {
                if (n == starts.length) { starts = Arrays.copyOf(starts, n + 1); lengths = Arrays.copyOf(lengths, n + 1); lines = Arrays.copyOf(lines, n + 1); }
                starts[n] = lineStart; lengths[n] = Math.toIntExact(pos - lineStart); lines[n] = line + 1; n++;
            }
            if (n == 0) { ch.close(); throw new IllegalArgumentException(file + ": no records"); }
            return new JsonlDocuments(file, ch, Arrays.copyOf(starts, n), Arrays.copyOf(lengths, n), Arrays.copyOf(lines, n), encoder);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
    }

    public Path file() { return file; }

    public int size() { return starts.length; }

    /** Parses document i (0-based among the non-blank lines). */
    public Document get(int i) {
        ByteBuffer buf = ByteBuffer.allocate(lengths[i]);
        try {
            while (buf.hasRemaining()) if (channel.read(buf, starts[i] + buf.position()) < 0) break;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String where = file + ":" + lineNumbers[i];
        JsonNode n;
        try {
            n = JSON.readTree(new String(buf.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": invalid JSON: " + e.getOriginalMessage());
        }
        return parse(n, where);
    }

    Document parse(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": record is not a JSON object");
        if (n.has("ids")) {
            int[] ids = ints(n.get("ids"), where, "ids");
            if (ids.length == 0) throw new IllegalArgumentException(where + ": field 'ids' is empty");
            float[] mask = null;
            if (n.hasNonNull("loss_mask")) {
                JsonNode m = n.get("loss_mask");
                if (!m.isArray() || m.size() != ids.length)
                    throw new IllegalArgumentException(where + ": field 'loss_mask' must be an array of " + ids.length + " numbers (one per id)");
                mask = new float[ids.length];
                for (int t = 0; t < mask.length; t++) {
                    JsonNode v = m.get(t);
                    if (!v.isNumber() && !v.isBoolean()) throw new IllegalArgumentException(where + ": field 'loss_mask' entry " + t + " is not a number");
                    mask[t] = v.isBoolean() ? (v.booleanValue() ? 1f : 0f) : (float) v.doubleValue();
                }
            }
            boolean[] vision = null;
            if (n.hasNonNull("vision")) {
                JsonNode v = n.get("vision");
                if (!v.isArray() || v.size() != ids.length)
                    throw new IllegalArgumentException(where + ": field 'vision' must be an array of " + ids.length + " booleans (one per id)");
                vision = new boolean[ids.length];
                for (int t = 0; t < ids.length; t++) vision[t] = v.get(t).asBoolean();
            }
            return new Document(ids, mask, vision);
        }
        if (n.has("text")) {
            JsonNode t = n.get("text");
            if (!t.isTextual()) throw new IllegalArgumentException(where + ": field 'text' must be a string");
            if (encoder == null) throw new IllegalArgumentException(where + ": text record but no tokenizer was given (set data.tokenizer in the plan)");
            int[] ids = encoder.encode(t.textValue());
            if (ids.length == 0) throw new IllegalArgumentException(where + ": field 'text' encodes to no tokens");
            return new Document(ids);
        }
        throw new IllegalArgumentException(where + ": record has neither 'text' nor 'ids'");
    }

    private static int[] ints(JsonNode a, String where, String field) {
        if (!a.isArray()) throw new IllegalArgumentException(where + ": field '" + field + "' must be an array of integers");
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode x = a.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToInt() || x.intValue() < 0)
                throw new IllegalArgumentException(where + ": field '" + field + "' entry " + i + " is not a non-negative integer: " + x);
            v[i] = x.intValue();
        }
        return v;
    }

    @Override public void close() {
        try { channel.close(); } catch (IOException e) { throw new UncheckedIOException(e); }
    }
}
