package lwm.tensor.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir Path dir;
    final long seed = System.nanoTime();
    final SplittableRandom rnd = new SplittableRandom(seed);

    Tensor random(Arena arena, DType t, long... shape) {
        Tensor x = Tensor.allocate(arena, t, shape);
        long n = x.numel();
        for (long i = 0; i < n; i++) {
            switch (t) {
                case I32 -> x.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, rnd.nextInt());
                case I64 -> x.segment().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
                default -> x.setFlat(i, (float) rnd.nextGaussian());
            }
        }
        return x;
    }

    static void assertSameBytes(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        long w = expected.dtype().bytes, n = expected.numel();
        try (Arena a = Arena.ofConfined()) {
            var e = a.allocate(Math.max(1, n * w));
            var b = a.allocate(Math.max(1, n * w));
            expected.copyRawTo(0, n, e, 0);
            actual.copyRawTo(0, n, b, 0);
            assertEquals(-1, e.mismatch(b), what + " bytes");
        }
    }

    @Test
    void everyDtypeRoundTripsWithMetadata() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("a.f32", random(arena, DType.F32, 3, 5));
            in.put("b.bf16", random(arena, DType.BF16, 7));
            in.put("c.f16", random(arena, DType.F16, 2, 3, 1));
            in.put("d.i32", random(arena, DType.I32, 9));
            in.put("e.i64", random(arena, DType.I64, 1, 4));
            in.put("f.empty", random(arena, DType.F32, 0, 3));
            in.put("g.scalar", random(arena, DType.BF16));
            in.put("h.transposed", random(arena, DType.F32, 4, 6).transpose(0, 1));
            in.put("i.sliced", random(arena, DType.F16, 5, 8).slice(1, 2, 7));
            in.put("j.heap", Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(new float[] {1.5f, -2f, 3f}), DType.F32, 3));
            Map<String, String> meta = Map.of("format", "pt", "note", "ünïcödé \"quoted\"");
            Path f = dir.resolve("x.safetensors");
            SafetensorsWriter.write(f, in, meta);
            try (SafetensorsFile r = SafetensorsFile.open(f)) {
                assertEquals(meta, r.metadata());
                assertEquals(new TreeMap<>(in).keySet(), new TreeMap<>(r.infos()).keySet());
                for (var e : in.entrySet()) {
                    Tensor got = r.tensor(e.getKey());
                    assertTrue(got.isContiguous());
                    assertTrue(got.segment().isReadOnly(), "mapped tensors are read-only");
                    assertSameBytes(e.getValue(), got, e.getKey());
                    TensorInfo info = r.info(e.getKey());
                    assertEquals(0, info.begin() % e.getValue().dtype().bytes, "aligned to its element size");
                }
            }
            // the header length keeps the data section 8-byte aligned
            ByteBuffer len = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0, len.getLong() % 8);
            assertEquals(PosixFilePermissions.fromString("rw-r--r--"), Files.getPosixFilePermissions(f));
            try (var s = Files.list(dir)) {
                assertEquals(List.of(f), s.toList(), "no temporary file left behind");
            }
        }
    }

    @Test
    void outputIsDeterministic() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> in = new java.util.HashMap<>();
            for (int i = 0; i < 20; i++) in.put("t" + i, random(arena, DType.values()[i % 5], 3, i + 1));
            Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
            SafetensorsWriter.write(a, in, Map.of("k", "v", "j", "w"));
            SafetensorsWriter.write(b, new TreeMap<>(in), new TreeMap<>(Map.of("k", "v", "j", "w")));
            assertEquals(-1, Files.mismatch(a, b), "same tensors, same bytes, whatever the map order");
        }
    }

    @Test
    void manyChunksStreamTheSameBytes() {
        long old = SafetensorsWriter.chunkBytes;
        SafetensorsWriter.chunkBytes = 12; // 3 f32 per chunk: forces partial chunks through both paths
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = random(arena, DType.F32, 11, 13), b = random(arena, DType.BF16, 9, 7).permute(1, 0);
            Path f = dir.resolve("chunks.safetensors");
            SafetensorsWriter.write(f, Map.of("a", a, "b", b), null);
            try (SafetensorsFile r = SafetensorsFile.open(f)) {
                assertSameBytes(a, r.tensor("a"), "a");
                assertSameBytes(b, r.tensor("b"), "b");
                assertTrue(r.metadata().isEmpty());
            }
        } finally {
            SafetensorsWriter.chunkBytes = old;
        }
    }

    @Test
    void overwritingIsAtomicAndLeavesOldMappingsIntact() {
        try (Arena arena = Arena.ofConfined()) {
            Path f = dir.resolve("model.safetensors");
            Tensor first = Tensor.fromFloats(arena, DType.F32, new float[] {1, 2, 3}, 3);
            SafetensorsWriter.write(f, Map.of("w", first), Map.of());
            try (SafetensorsFile old = SafetensorsFile.open(f)) {
                SafetensorsWriter.write(f, Map.of("w", Tensor.fromFloats(arena, DType.F32, new float[] {4, 5}, 2)), Map.of());
                assertArrayEquals(new float[] {1, 2, 3}, old.tensor("w").toFloatArray(), "an open reader keeps the old file");
                try (SafetensorsFile now = SafetensorsFile.open(f)) {
                    assertArrayEquals(new float[] {4, 5}, now.tensor("w").toFloatArray());
                }
            }
        }
    }

    @Test
    void failedWriteLeavesNoTemporaryAndKeepsTheOldFile() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Path f = dir.resolve("keep.safetensors");
            SafetensorsWriter.write(f, Map.of("w", Tensor.fromFloats(arena, DType.F32, new float[] {1}, 1)), Map.of());
            byte[] before = Files.readAllBytes(f);
            Tensor dead;
            try (Arena gone = Arena.ofConfined()) {
                dead = Tensor.fromFloats(gone, DType.F32, new float[] {9, 9}, 2);
            }
            Tensor closedMemory = dead;
            assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(f, Map.of("w", closedMemory), Map.of()));
            assertArrayEquals(before, Files.readAllBytes(f));
            try (var s = Files.list(dir)) {
                assertEquals(List.of(f), s.toList());
            }
            var ex = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(f, Map.of("__metadata__", closedMemory), Map.of()));
            assertTrue(ex.getMessage().contains("reserved"));
        }
    }

    @Test
    void createsMissingDirectoriesAndReportsUnwritableTargets() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> one = Map.of("w", Tensor.fromFloats(arena, DType.I32, new float[] {3, -4}, 2));
            Path nested = dir.resolve("a/b/c.safetensors");
            SafetensorsWriter.write(nested, one, Map.of());
            try (SafetensorsFile f = SafetensorsFile.open(nested)) {
                assertArrayEquals(new float[] {3, -4}, f.tensor("w").toFloatArray());
            }
            Files.writeString(dir.resolve("plainfile"), "x");
            var ex = assertThrows(java.io.UncheckedIOException.class, () -> SafetensorsWriter.write(dir.resolve("plainfile/x.safetensors"), one, Map.of()));
            assertTrue(ex.getMessage().startsWith(dir.resolve("plainfile/x.safetensors") + ": cannot write"), ex.getMessage());
            assertFalse(ex.getMessage().contains("\n"));
        }
    }

    @Test
    void readsTheTransformersFixture() throws IOException {
        Path fixture = Path.of(System.getProperty("lwm.root"), "..", "shared", "fixtures", "tiny-lwm-f32");
        JsonNode config = new ObjectMapper().readTree(fixture.resolve("config.json").toFile());
        long hidden = config.get("hidden_size").asLong(), vocab = config.get("vocab_size").asLong();
        long inter = config.get("intermediate_size").asLong();
        int layers = config.get("num_hidden_layers").asInt();
        assertEquals(32, hidden);
        assertEquals(32000, vocab);
        assertEquals(2, layers);
        Map<String, long[]> expected = new TreeMap<>();
        expected.put("model.embed_tokens.weight", new long[] {vocab, hidden});
        expected.put("lm_head.weight", new long[] {vocab, hidden});
        expected.put("model.norm.weight", new long[] {hidden});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            for (String w : List.of("q_proj", "k_proj", "v_proj", "o_proj")) expected.put(p + "self_attn." + w + ".weight", new long[] {hidden, hidden});
            expected.put(p + "mlp.gate_proj.weight", new long[] {inter, hidden});
            expected.put(p + "mlp.up_proj.weight", new long[] {inter, hidden});
            expected.put(p + "mlp.down_proj.weight", new long[] {hidden, inter});
            expected.put(p + "input_layernorm.weight", new long[] {hidden});
            expected.put(p + "post_attention_layernorm.weight", new long[] {hidden});
        }
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(fixture)) {
            assertEquals(expected.keySet(), new java.util.TreeSet<>(ck.names()));
            assertEquals("pt", ck.metadata().get("format"));
            for (var e : expected.entrySet()) {
                Tensor t = ck.tensor(e.getKey());
                assertEquals(DType.F32, t.dtype());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey());
                float[] v = t.toFloatArray();
                for (float x : v) assertTrue(Float.isFinite(x), e.getKey() + " holds a non-finite value");
            }
            // the README says the RMSNorm weights were perturbed away from 1.0
            float[] norm = ck.tensor("model.layers.0.input_layernorm.weight").toFloatArray();
            double dev = 0;
            for (float x : norm) dev += Math.abs(x - 1.0);
            assertTrue(dev > 1e-3, "norm weights are not all 1.0");
            // the same bytes through the raw accessor, read independently of the Tensor class
            SafetensorsFile f = ck.files().getFirst();
            var raw = f.bytes("model.norm.weight");
            float[] viaTensor = ck.tensor("model.norm.weight").toFloatArray();
            for (int i = 0; i < viaTensor.length; i++)
                assertEquals(raw.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i), viaTensor[i]);
        }
    }
}
