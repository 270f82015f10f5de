package lwm.tensor.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import lwm.tensor.Bf16;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sparse 6 GiB file: a bf16 tensor of 3 * 2^30 elements, then a small one beyond byte 2^32. Only a few bytes are written. */
class SafetensorsLargeFileTest {
    @TempDir Path dir;

    @Test
    void tensorsPastTwoGigabytesAndTwoToThe31Elements() throws IOException {
        long rows = 3, cols = 1L << 30, n = rows * cols, bigBytes = 2 * n;
        String header = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + rows + "," + cols + "],\"data_offsets\":[0," + bigBytes + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + bigBytes + "," + (bigBytes + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long data = 8 + h.length;
        Path p = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(data + bigBytes + 16); // a hole: nothing is filled
        }
        long[] probes = {0, (1L << 31) - 1, 1L << 31, (1L << 31) + 5, (3L << 30) - 1000, n - 1};
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length), 0);
            ch.write(ByteBuffer.wrap(h), 8);
            for (int i = 0; i < probes.length; i++)
                ch.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, Bf16.fromFloat(i + 1.5f)), data + 2 * probes[i]);
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 4; i++) tail.putFloat(4 * i, -i - 0.25f);
            ch.write(tail, data + bigBytes);
        }
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(p)) {
            Tensor big = ck.tensor("big");
            assertEquals(DType.BF16, big.dtype());
            assertEquals(n, big.numel());
            assertTrue(n > Integer.MAX_VALUE);
            for (int i = 0; i < probes.length; i++) {
                assertEquals(i + 1.5f, big.getFlat(probes[i]), "element " + probes[i]);
                assertEquals(i + 1.5f, big.get(probes[i] / cols, probes[i] % cols));
            }
            // bulk reads straddling the probes, through the vector path
            float[] window = big.toFloatArray((1L << 31) - 8, 64);
            for (int i = 0; i < 64; i++) {
                long e = (1L << 31) - 8 + i;
                float want = e == (1L << 31) - 1 ? 2.5f : e == 1L << 31 ? 3.5f : e == (1L << 31) + 5 ? 4.5f : 0f;
                assertEquals(want, window[i], "element " + e);
            }
            Tensor lastRow = big.select(2);
            assertEquals(cols, lastRow.numel());
            assertEquals(6.5f, lastRow.getFlat(lastRow.offset() + cols - 1));
            assertArrayEquals(new float[] {0, 0, 6.5f}, lastRow.toFloatArray(cols - 3, 3));
            assertArrayEquals(new float[] {-0.25f, -1.25f, -2.25f, -3.25f}, ck.tensor("tail").toFloatArray());
            assertEquals(bigBytes, ck.info("tail").begin());

            // the writer's header for a tensor this large (the 6 GiB of data themselves are not rewritten)
            Tensor small = Tensor.fromFloats(java.lang.foreign.Arena.ofAuto(), DType.F32, new float[] {1, 2}, 2);
            var order = SafetensorsWriter.layoutOrder(p, java.util.Map.of("big", big, "small", small, "last", big.select(2)));
            byte[] written = SafetensorsWriter.header(order, java.util.Map.of());
            var root = SafetensorsHeader.JSON.readTree(written);
            assertEquals("[0,8]", root.get("small").get("data_offsets").toString(), "4-byte elements first");
            assertEquals("[8," + (8 + bigBytes) + "]", root.get("big").get("data_offsets").toString());
            assertEquals("[" + (8 + bigBytes) + "," + (8 + bigBytes + 2 * cols) + "]", root.get("last").get("data_offsets").toString());
            assertEquals("[3," + cols + "]", root.get("big").get("shape").toString());
        }
    }
}
