package lwm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvertTest {
    static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int[] SIZES = {0, 1, 7, 15, 16, 17, 31, 33, 64, 1000, 4099};
    final long seed = System.nanoTime();
    final SplittableRandom rnd = new SplittableRandom(seed);

    static short[] allPatterns() {
        short[] s = new short[65536];
        for (int i = 0; i < s.length; i++) s[i] = (short) i;
        return s;
    }

    /** Exact bits, except that NaN only has to stay a NaN of the same sign (payloads may be quieted). */
    static void assertSameFloat(float expected, float actual, String what) {
        if (Float.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
            assertEquals(Float.floatToRawIntBits(expected) < 0, Float.floatToRawIntBits(actual) < 0, what + ": NaN sign");
        } else {
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": " + expected + " vs " + actual);
        }
    }

    static void assertSameHalf(short expected, short actual, boolean isF16, String what) {
        float e = isF16 ? Float.float16ToFloat(expected) : Bf16.toFloat(expected);
        if (Float.isNaN(e)) {
            float a = isF16 ? Float.float16ToFloat(actual) : Bf16.toFloat(actual);
            assertTrue(Float.isNaN(a), what + ": expected NaN, got 0x" + Integer.toHexString(actual & 0xffff));
            assertEquals(expected < 0, actual < 0, what + ": NaN sign");
        } else {
            assertEquals(expected & 0xffff, actual & 0xffff, what);
        }
    }

    @Test
    void bf16WideningMatchesScalarOnAllPatterns() {
        short[] all = allPatterns();
        float[] out = new float[all.length + 3];
        Arrays.fill(out, Float.NaN);
        Convert.bf16ToF32(all, 0, out, 3, all.length);
        for (int i = 0; i < all.length; i++)
            assertEquals(Float.floatToRawIntBits(Bf16.toFloat(all[i])), Float.floatToRawIntBits(out[i + 3]), "pattern " + i);
        assertTrue(Float.isNaN(out[0]) && Float.isNaN(out[2]), "wrote before its offset");
    }

    @Test
    void f16WideningMatchesScalarOnAllPatterns() {
        short[] all = allPatterns();
        float[] out = new float[all.length];
        Arrays.fill(out, Float.NaN);
        Convert.f16ToF32(all, 0, out, 0, all.length);
        for (int i = 0; i < all.length; i++) assertSameFloat(F16.toFloat(all[i]), out[i], "pattern 0x" + Integer.toHexString(i));
        // spot values, independent of the JDK
        assertEquals(1.0f, out[0x3c00]);
        assertEquals(65504f, out[0x7bff]);
        assertEquals(0x1p-24f, out[0x0001]);
        assertEquals(0x1p-14f, out[0x0400]);
        assertEquals(Float.NEGATIVE_INFINITY, out[0xfc00]);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(out[0x8000]));
    }

    @Test
    void narrowingRoundTripsEveryRepresentableValue() {
        short[] all = allPatterns();
        for (boolean f16 : new boolean[] {false, true}) {
            float[] wide = f16 ? Convert.fromF16(all) : Convert.fromBf16(all);
            short[] back = f16 ? Convert.toF16(wide) : Convert.toBf16(wide);
            for (int i = 0; i < all.length; i++) {
                if (Float.isNaN(wide[i])) assertSameHalf(all[i], back[i], f16, "NaN pattern " + i);
                else assertEquals(i, back[i] & 0xffff, (f16 ? "f16 " : "bf16 ") + "pattern 0x" + Integer.toHexString(i));
            }
        }
    }

    /** Random bit patterns (all exponents, NaNs, subnormals) plus exact ties and near-ties for both formats. */
    float[] hardFloats(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = rnd.nextInt();
            x[i] = switch (i % 6) {
                case 0 -> Float.intBitsToFloat(bits);
                case 1 -> Float.intBitsToFloat((bits & 0xffff0000) | 0x8000);                           // bf16 tie
                case 2 -> Float.intBitsToFloat((bits & 0xffff0000) | (rnd.nextBoolean() ? 0x7fff : 0x8001));
                case 3 -> Float.intBitsToFloat((bits & 0x807fe000) | (rnd.nextInt(100, 145) << 23) | 0x1000); // f16 tie, subnormal to overflow
                case 4 -> (rnd.nextInt(2048) + 0.5f) * 0x1p-24f * (rnd.nextBoolean() ? 1 : -1);         // f16 subnormal tie
                default -> (float) rnd.nextGaussian() * (float) Math.pow(2, rnd.nextInt(-30, 20));
            };
        }
        return x;
    }

    @Test
    void narrowingMatchesScalarOnRandomFloatsAndTies() {
        for (int size : SIZES) {
            float[] x = hardFloats(size + 4);
            for (boolean f16 : new boolean[] {false, true}) {
                short[] out = new short[size + 2];
                Arrays.fill(out, (short) 0x7e01);
                if (f16) Convert.f32ToF16(x, 4, out, 1, size); else Convert.f32ToBf16(x, 4, out, 1, size);
                assertEquals(0x7e01, out[0], "wrote before its offset");
                assertEquals(0x7e01, out[size + 1], "wrote past its end");
                for (int i = 0; i < size; i++) {
                    short want = f16 ? F16.fromFloat(x[i + 4]) : Bf16.fromFloat(x[i + 4]);
                    assertSameHalf(want, out[i + 1], f16, (f16 ? "f16" : "bf16") + " of " + x[i + 4] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x[i + 4])) + "), seed " + seed);
                }
            }
        }
    }

    /**
     * Round to nearest even done in double arithmetic (Math.rint rounds half to even; every scaling
     * below is exact), independent of the JDK's half-float code and of the bit tricks in {@link Bf16}.
     * {@code mant} is the stored mantissa width, {@code bias} the exponent bias.
     */
    static int reference(float f, int mant, int bias) {
        int expBits = mant == 10 ? 5 : 8, inf = ((1 << expBits) - 1) << mant, sign = f < 0 || Float.floatToRawIntBits(f) < 0 ? 1 << (mant + expBits) : 0;
        if (Float.isNaN(f)) return -1;
        double a = Math.abs((double) f);
        if (Double.isInfinite(a)) return sign | inf;
        int minExp = 1 - bias;
        if (a < Math.scalb(1.0, minExp)) return sign | (int) Math.rint(Math.scalb(a, mant - minExp)); // subnormal (may round up to the smallest normal)
        int e = Math.getExponent(a);
        long m = (long) Math.rint(Math.scalb(a, mant - e));
        if (m == 1L << (mant + 1)) { e++; m >>= 1; }
        if (e + bias >= (1 << expBits) - 1) return sign | inf;
        return sign | ((e + bias) << mant) | (int) (m - (1L << mant));
    }

    @Test
    void narrowingMatchesAnIndependentDoubleReference() {
        float[] x = hardFloats(60000);
        short[] b = Convert.toBf16(x), h = Convert.toF16(x);
        for (int i = 0; i < x.length; i++) {
            int rb = reference(x[i], 7, 127), rh = reference(x[i], 10, 15);
            String what = " of 0x" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + " seed " + seed;
            if (rb < 0) {
                assertTrue(Float.isNaN(Bf16.toFloat(b[i])) && Float.isNaN(Float.float16ToFloat(h[i])), "NaN" + what);
            } else {
                assertEquals(rb, b[i] & 0xffff, "bf16" + what);
                assertEquals(rh, h[i] & 0xffff, "f16" + what);
            }
        }
    }

    @Test
    void roundingToNearestEvenAndSpecialValues() {
        float[] x = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 0x1p-25f, 3 * 0x1p-25f,
                65504f, 65519.996f, 65520f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, Float.intBitsToFloat(0xffc00001), -0.0f, Float.MIN_VALUE};
        // pad to a vector-length multiple so that the vector loop (not the scalar tail) handles these
        float[] padded = Arrays.copyOf(x, 64);
        short[] b = Convert.toBf16(padded), h = Convert.toF16(padded);
        assertEquals(0x3f80, b[0] & 0xffff, "bf16 tie rounds down to even");
        assertEquals(0x3f82, b[1] & 0xffff, "bf16 tie rounds up to even");
        assertEquals(0x3c00, h[2] & 0xffff, "f16 tie rounds down to even");
        assertEquals(0x3c02, h[3] & 0xffff, "f16 tie rounds up to even");
        assertEquals(0x0000, h[4] & 0xffff, "f16 subnormal tie to zero");
        assertEquals(0x0002, h[5] & 0xffff, "f16 subnormal tie to even");
        assertEquals(0x7bff, h[6] & 0xffff);
        assertEquals(0x7bff, h[7] & 0xffff, "just below the overflow threshold");
        assertEquals(0x7c00, h[8] & 0xffff, "65520 rounds to infinity");
        assertEquals(0x7c00, h[9] & 0xffff);
        assertEquals(0x7f80, b[9] & 0xffff, "max float rounds to bf16 infinity");
        assertEquals(0x7c00, h[10] & 0xffff);
        assertEquals(0x7f80, b[10] & 0xffff);
        assertEquals(0xfc00, h[11] & 0xffff);
        assertEquals(0xff80, b[11] & 0xffff);
        assertTrue(Float.isNaN(Float.float16ToFloat(h[12])) && Float.isNaN(Bf16.toFloat(b[12])));
        assertTrue(Float.isNaN(Float.float16ToFloat(h[13])) && h[13] < 0, "negative NaN with a low payload stays a negative NaN");
        assertTrue(Float.isNaN(Bf16.toFloat(b[13])) && b[13] < 0, "bf16 NaN whose payload is below bit 16 stays NaN");
        assertEquals(0x8000, h[14] & 0xffff);
        assertEquals(0x8000, b[14] & 0xffff);
        assertEquals(0, h[15]);
    }

    @Test
    void segmentPathsAtUnalignedOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            for (int size : SIZES) {
                float[] x = hardFloats(size);
                for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    MemorySegment seg = arena.allocate(3 + (long) size * t.bytes + 3);
                    seg.fill((byte) 0x55);
                    Convert.fromF32(t, x, 0, seg, 3, size);
                    assertEquals(0x55, seg.get(ValueLayout.JAVA_BYTE, 2));
                    assertEquals(0x55, seg.get(ValueLayout.JAVA_BYTE, 3 + (long) size * t.bytes));
                    float[] back = new float[size];
                    Arrays.fill(back, Float.NaN);
                    Convert.toF32(t, seg, 3, back, 0, size);
                    for (int i = 0; i < size; i++) {
                        float want = switch (t) {
                            case F32 -> x[i];
                            case BF16 -> Bf16.toFloat(Bf16.fromFloat(x[i]));
                            default -> F16.toFloat(F16.fromFloat(x[i]));
                        };
                        if (t != DType.F32) {
                            short stored = seg.get(S16, 3 + 2L * i);
                            short scalar = t == DType.BF16 ? Bf16.fromFloat(x[i]) : F16.fromFloat(x[i]);
                            assertSameHalf(scalar, stored, t == DType.F16, t + " stored at " + i + ", seed " + seed);
                        }
                        assertSameFloat(want, back[i], t + " element " + i + " of " + size + ", seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void segmentToSegmentAcrossChunks() {
        int n = 2 * 8192 + 37;
        float[] x = hardFloats(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = arena.allocate(4L * n), bf = arena.allocate(2L * n + 1), h = arena.allocate(2L * n), back = arena.allocate(4L * n);
            MemorySegment.copy(x, 0, f32, F32, 0, n);
            Convert.convert(DType.F32, f32, 0, DType.BF16, bf, 1, n);
            Convert.convert(DType.BF16, bf, 1, DType.F16, h, 0, n);
            Convert.convert(DType.F16, h, 0, DType.F32, back, 0, n);
            for (int i = 0; i < n; i++) {
                assertSameHalf(Bf16.fromFloat(x[i]), bf.get(S16, 1 + 2L * i), false, "bf16 " + i);
                short viaScalar = F16.fromFloat(Bf16.toFloat(Bf16.fromFloat(x[i])));
                assertSameHalf(viaScalar, h.get(S16, 2L * i), true, "f16 " + i);
                assertSameFloat(F16.toFloat(viaScalar), back.get(F32, 4L * i), "f32 " + i);
            }
        }
    }

    @Test
    void outOfRangeCallsFailBeforeWriting() {
        float[] out = new float[8];
        Arrays.fill(out, 7f);
        MemorySegment small = MemorySegment.ofArray(new short[4]);
        assertThrows(IndexOutOfBoundsException.class, () -> Convert.bf16ToF32(small, 0, out, 0, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> Convert.f16ToF32(small, 2, out, 0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> Convert.bf16ToF32(new short[40], 0, out, 4, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> Convert.f32ToBf16(new float[40], 0, new short[4], 0, 5));
        for (float v : out) assertEquals(7f, v);
        assertThrows(IllegalArgumentException.class, () -> Convert.toF32(DType.I32, small, 0, out, 0, 1));
    }
}
