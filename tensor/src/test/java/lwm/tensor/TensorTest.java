package lwm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorTest {
    final long seed = System.nanoTime();
    final SplittableRandom rnd = new SplittableRandom(seed);

    Tensor random(Arena arena, DType t, long... shape) {
        Tensor x = Tensor.allocate(arena, t, shape);
        for (long i = 0; i < x.numel(); i++) x.setFlat(i, t.isFloat() ? (float) rnd.nextGaussian() * 100 : rnd.nextInt(-1000, 1000));
        return x;
    }

    /** The reference: element by element through the multi-index, no fast path. */
    static float[] slow(Tensor t) {
        float[] out = new float[(int) t.numel()];
        long[] idx = new long[t.rank()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.get(idx);
            for (int d = idx.length - 1; d >= 0; d--) { if (++idx[d] < t.dim(d)) break; idx[d] = 0; }
        }
        return out;
    }

    static float round(DType t, float v) {
        return switch (t) {
            case F32 -> v;
            case BF16 -> Bf16.toFloat(Bf16.fromFloat(v));
            case F16 -> F16.toFloat(F16.fromFloat(v));
            case I32 -> (int) v;
            case I64 -> (long) v;
        };
    }

    @Test
    void permuteIsAViewWithMovedIndices() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, DType.F32, 2, 3, 4);
            Tensor p = x.permute(2, 0, 1);
            assertArrayEquals(new long[] {4, 2, 3}, p.shape());
            assertSame(x.segment(), p.segment());
            for (long a = 0; a < 2; a++) for (long b = 0; b < 3; b++) for (long c = 0; c < 4; c++)
                assertEquals(x.get(a, b, c), p.get(c, a, b));
            assertFalse(p.isContiguous());
            assertTrue(x.permute(0, 1, 2).isContiguous());
            assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1));
            assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1, 3));
        }
    }

    @Test
    void contiguityIgnoresSizeOneDimensions() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, DType.F32, 4, 1, 6);
            assertTrue(x.slice(0, 1, 2).isContiguous(), "one row of a matrix");
            assertTrue(x.transpose(0, 1).slice(0, 0, 1).permute(1, 0, 2).isContiguous());
            assertFalse(x.slice(2, 0, 3).isContiguous());
            Tensor row = x.select(2);
            assertTrue(row.isContiguous());
            assertArrayEquals(slow(row), row.reshape(6).toFloatArray());
            assertSame(row, row.contiguous());
        }
    }

    @Test
    void bulkReadsOfViewsMatchElementReads() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : DType.values()) {
                Tensor x = random(arena, t, 5, 7, 37);
                Tensor[] views = {x, x.permute(2, 0, 1), x.slice(2, 3, 36), x.slice(0, 1, 4).transpose(0, 1), x.select(3), x.slice(1, 2, 3)};
                for (Tensor v : views) {
                    float[] want = slow(v);
                    float[] all = new float[want.length + 2];
                    Arrays.fill(all, Float.NaN);
                    v.readFloats(0, all, 1, want.length);
                    assertArrayEquals(want, Arrays.copyOfRange(all, 1, want.length + 1), t + " " + v + " seed " + seed);
                    assertTrue(Float.isNaN(all[0]) && Float.isNaN(all[want.length + 1]));
                    assertArrayEquals(want, v.toFloatArray());
                    for (int k = 0; k < 5; k++) {
                        int from = rnd.nextInt(want.length), n = rnd.nextInt(want.length - from + 1);
                        assertArrayEquals(Arrays.copyOfRange(want, from, from + n), v.toFloatArray(from, n), "window " + from + "+" + n);
                    }
                }
                assertThrows(IndexOutOfBoundsException.class, () -> x.toFloatArray(x.numel() - 2, 3));
                assertThrows(IndexOutOfBoundsException.class, () -> x.readFloats(0, new float[4], 2, 3));
            }
        }
    }

    @Test
    void bulkWritesIntoViewsRoundToTheDtype() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : DType.values()) {
                Tensor x = random(arena, t, 6, 45);
                Tensor v = x.permute(1, 0).slice(0, 2, 43);
                float[] before = x.toFloatArray();
                float[] src = new float[(int) v.numel()];
                for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextGaussian() * 1000;
                int from = 7, n = src.length - 20;
                v.writeFloats(from, src, 3, n);
                Tensor ref = Tensor.allocate(arena, t, 6, 45);
                ref.writeFloats(0, before, 0, before.length);
                Tensor rv = ref.permute(1, 0).slice(0, 2, 43);
                for (int i = 0; i < n; i++) {
                    long pos = from + i;
                    rv.set(src[3 + i], pos / 6, pos % 6);
                }
                assertArrayEquals(ref.toFloatArray(), x.toFloatArray(), t + " seed " + seed);
                for (int i = 0; i < n; i++) {
                    long pos = from + i;
                    assertEquals(round(t, src[3 + i]), v.get(pos / 6, pos % 6), t + " element " + pos);
                }
            }
        }
    }

    @Test
    void fromFloatsRoundsToNearestEven() {
        try (Arena arena = Arena.ofConfined()) {
            float[] v = new float[37];
            for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat((rnd.nextInt() & 0x3fff0000) | 0x8000);
            v[0] = 1f + 0x1p-8f;
            Tensor b = Tensor.fromFloats(arena, DType.BF16, v, 37);
            for (int i = 0; i < v.length; i++) assertEquals(Bf16.fromFloat(v[i]), b.segment().getAtIndex(Tensor.I16, i), "element " + i);
            assertEquals(1f, b.getFlat(0));
            Tensor h = Tensor.fromFloats(arena, DType.F16, v, 37);
            for (int i = 0; i < v.length; i++) assertEquals(F16.fromFloat(v[i]), h.segment().getAtIndex(Tensor.I16, i), "element " + i);
            assertThrows(IllegalArgumentException.class, () -> Tensor.fromFloats(arena, DType.F32, v, 36));
        }
    }

    @Test
    void copyToAndToConvertEveryDtypePairThroughViews() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType from : DType.values()) {
                Tensor src = random(arena, from, 3, 4, 19).permute(2, 0, 1).slice(0, 1, 18);
                float[] values = slow(src);
                for (DType to : DType.values()) {
                    Tensor c = src.to(to, arena);
                    assertTrue(c.isContiguous());
                    assertEquals(to, c.dtype());
                    assertArrayEquals(src.shape(), c.shape());
                    float[] got = c.toFloatArray();
                    for (int i = 0; i < values.length; i++) assertEquals(round(to, values[i]), got[i], from + "->" + to + " at " + i);
                    // into a strided destination as well
                    Tensor dstBase = Tensor.allocate(arena, to, 5, 3, 17);
                    dstBase.segment().fill((byte) 0x7f);
                    Tensor dst = dstBase.permute(2, 1, 0).slice(2, 1, 5);
                    assertArrayEquals(src.shape(), dst.shape());
                    src.copyTo(dst);
                    assertArrayEquals(got, slow(dst), from + "->" + to + " strided");
                    MemorySegment outside = dstBase.segment().asSlice(0, 3L * 17 * to.bytes);
                    for (long b = 0; b < outside.byteSize(); b++)
                        assertEquals(0x7f, outside.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b), "byte " + b + " outside the view was written");
                }
            }
            assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(arena, DType.F32, 2, 3).copyTo(Tensor.allocate(arena, DType.F32, 3, 2)));
        }
    }

    @Test
    void integersCopyExactly() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Tensor.allocate(arena, DType.I64, 3);
            long[] v = {(1L << 40) + 1, -123456789, Integer.MAX_VALUE};
            for (int i = 0; i < 3; i++) a.segment().setAtIndex(Tensor.I64, i, v[i]);
            Tensor b = a.to(DType.I64, arena);
            for (int i = 0; i < 3; i++) assertEquals(v[i], b.segment().getAtIndex(Tensor.I64, i));
            Tensor c = a.slice(0, 1, 3).to(DType.I32, arena).to(DType.I64, arena);
            assertEquals(-123456789L, c.segment().getAtIndex(Tensor.I64, 0));
            assertEquals((long) Integer.MAX_VALUE, c.segment().getAtIndex(Tensor.I64, 1));
            Tensor i32 = Tensor.allocate(arena, DType.I32, 1);
            i32.segment().setAtIndex(Tensor.I32, 0, 16777217); // not representable in f32
            assertEquals(16777217L, i32.to(DType.I64, arena).segment().getAtIndex(Tensor.I64, 0));
        }
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, DType.BF16, 8, 9);
            assertSame(x, x.contiguous());
            Tensor t = x.transpose(0, 1);
            Tensor c = t.contiguous(arena);
            assertNotSame(t.segment(), c.segment());
            assertTrue(c.isContiguous());
            assertArrayEquals(slow(t), c.toFloatArray());
            assertArrayEquals(slow(t), t.contiguous().reshape(72).toFloatArray());
        }
    }

    @Test
    void copyRawToPacksStridedViews() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = random(arena, DType.F16, 5, 6);
            Tensor v = x.transpose(0, 1).slice(0, 1, 5);
            MemorySegment dst = arena.allocate(2L * v.numel() + 4);
            dst.fill((byte) 1);
            v.copyRawTo(3, v.numel() - 3, dst, 2);
            Tensor packed = Tensor.wrap(dst.asSlice(2, 2L * (v.numel() - 3)), DType.F16, v.numel() - 3);
            assertArrayEquals(v.toFloatArray(3, (int) v.numel() - 3), packed.toFloatArray());
            assertEquals(1, dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> v.copyRawTo(1, v.numel(), dst, 0));
        }
    }
}
