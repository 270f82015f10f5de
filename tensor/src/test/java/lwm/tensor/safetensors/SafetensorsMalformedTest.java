package lwm.tensor.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformation gives a one-line IllegalArgumentException naming the file (and the tensor), never a bad read. */
class SafetensorsMalformedTest {
    @TempDir Path dir;
    int counter;

    /** A file: 8-byte length {@code declared}, then {@code header} bytes, then {@code data} zero bytes. */
    Path file(long declared, String header, int data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(h);
        Path p = dir.resolve("bad" + (counter++) + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    Path file(String header, int data) throws IOException {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    void expect(Path p, String tensor, String... fragments) {
        var ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(p).close());
        String m = ex.getMessage();
        assertTrue(m.startsWith(p.toString() + ": "), "names the file: " + m);
        if (tensor != null) assertTrue(m.contains("tensor '" + tensor + "'"), "names the tensor: " + m);
        for (String f : fragments) assertTrue(m.contains(f), "expected '" + f + "' in: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        if (ex.getClass() != IllegalArgumentException.class) assertInstanceOf(SafetensorsFormatException.class, ex);
    }

    @Test
    void headerLength() throws IOException {
        Path shortFile = dir.resolve("short.safetensors");
        Files.write(shortFile, new byte[] {1, 2, 3});
        expect(shortFile, null, "too short");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        expect(empty, null, "too short");
        expect(file(0, "{}", 0), null, "header length is 0");
        expect(file(200_000_000L, "{}", 0), null, "exceeds the limit");
        expect(file(-1L, "{}", 0), null, "exceeds the limit");
        expect(file(50, "{}", 10), null, "runs past the end");
    }

    @Test
    void jsonSyntaxAndShape() throws IOException {
        expect(file("{\"a\": ", 0), null, "header JSON", "line 1");
        expect(file("{} trailing", 0), null, "header JSON");
        expect(file("[1,2]", 0), null, "does not start with '{'");
        expect(file("{\"a\":1,\"a\":2}", 0), null, "Duplicate");
        expect(file("{\"a\": 5}", 0), "a", "not a JSON object");
        expect(file("{\"__metadata__\": [1]}", 0), null, "__metadata__ is not a JSON object");
        expect(file("{\"__metadata__\": {\"k\": 1}}", 0), null, "'k' is not a string");
        expect(file("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 0), null, "header JSON", "nesting depth");
        expect(dir, null, "not a regular file");
        Path bin = dir.resolve("binary.safetensors");
        Files.write(bin, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'}).array());
        expect(bin, null, "header JSON");
    }

    @Test
    void missingAndInvalidFields() throws IOException {
        expect(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "missing dtype");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "w", "missing shape");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "w", "missing data_offsets");
        expect(file("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "dtype is not a string");
        expect(file("{" + entry("w", "F33", "[1]", "[0,4]") + "}", 4), "w", "unknown dtype 'F33'");
        expect(file("{" + entry("w", "F32", "3", "[0,4]") + "}", 4), "w", "shape is not an array");
        expect(file("{" + entry("w", "F32", "[1.5]", "[0,4]") + "}", 4), "w", "not an integer");
        expect(file("{" + entry("w", "F32", "[\"1\"]", "[0,4]") + "}", 4), "w", "not an integer");
        expect(file("{" + entry("w", "F32", "[-1]", "[0,4]") + "}", 4), "w", "negative dimension");
        expect(file("{" + entry("w", "F32", "[99999999999999999999]", "[0,4]") + "}", 4), "w", "not an integer");
        expect(file("{" + entry("w", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 4), "w", "more elements than a long");
        expect(file("{" + entry("w", "F32", "[1]", "[0]") + "}", 4), "w", "two integers");
        expect(file("{" + entry("w", "F32", "[1]", "{}") + "}", 4), "w", "two integers");
        expect(file("{" + entry("w", "F32", "[1]", "[-4,0]") + "}", 4), "w", "non-negative");
        expect(file("{" + entry("w", "F32", "[1]", "[4,0]") + "}", 4), "w", "end before they begin");
    }

    @Test
    void offsetsAgainstShapeAndFile() throws IOException {
        expect(file("{" + entry("w", "F32", "[2]", "[0,4]") + "}", 4), "w", "span 4 bytes", "needs 8");
        expect(file("{" + entry("w", "BF16", "[3]", "[0,8]") + "}", 8), "w", "needs 6");
        expect(file("{" + entry("w", "F32", "[2]", "[0,8]") + "}", 4), "w", "run past the data section of 4");
        expect(file("{" + entry("w", "F32", "[1]", "[1000000000000,1000000000004]") + "}", 4), "w", "run past");
        expect(file("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}", 12), "b", "overlap tensor 'a'");
        expect(file("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[8,12]") + "}", 12), "b", "gap of 4 bytes");
        expect(file("{" + entry("a", "F32", "[1]", "[4,8]") + "}", 8), "a", "gap of 4 bytes");
        expect(file("{" + entry("a", "F32", "[1]", "[0,4]") + "}", 8), null, "cover 4 bytes", "holds 8");
    }

    @Test
    void validEdgeCasesStillOpen() throws IOException {
        // padding spaces after the JSON, zero-size tensors sharing an offset, a dtype lwm does not compute with
        String h = "{" + entry("z", "F32", "[0,5]", "[0,0]") + "," + entry("d", "F64", "[1]", "[0,8]") + ","
                + entry("i", "I32", "[]", "[8,12]") + "}   ";
        Path p = file(h, 12);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(3, f.names().size());
            assertEquals(0, f.tensor("z").numel());
            assertEquals(0f, f.tensor("i").getFlat(0));
            assertEquals(8, f.bytes("d").byteSize());
            assertEquals("F64", f.info("d").dtypeName());
            var ex = assertThrows(IllegalArgumentException.class, () -> f.tensor("d"));
            assertTrue(ex.getMessage().contains("tensor 'd'") && ex.getMessage().contains("F64"), ex.getMessage());
            var missing = assertThrows(IllegalArgumentException.class, () -> f.tensor("nope"));
            assertTrue(missing.getMessage().startsWith(p.toString()), missing.getMessage());
        }
        var ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(dir.resolve("absent.safetensors")));
        assertTrue(ex.getMessage().contains("no such file"));
    }

    @Test
    void aFifoIsRefusedInsteadOfBlocking() throws Exception {
        Path fifo = dir.resolve("pipe.safetensors");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no mkfifo here");
            return;
        }
        assertEquals(0, p.waitFor());
        expect(fifo, null, "not a regular file");
    }

    @Test
    void useAfterCloseFailsCleanly() throws IOException {
        Path p = file("{" + entry("w", "F32", "[2]", "[0,8]") + "}", 8);
        SafetensorsFile f = SafetensorsFile.open(p);
        var t = f.tensor("w");
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> t.getFlat(0));
    }
}
