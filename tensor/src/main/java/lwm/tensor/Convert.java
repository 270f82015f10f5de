package lwm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bulk conversions between f32 and the 16-bit float formats, over off-heap memory (little-endian, any
 * alignment) or Java arrays. Narrowing rounds to nearest even; NaN stays NaN with its sign, infinities stay
 * infinities, values beyond the target range become infinities. Results equal {@link Bf16} / {@link F16}
 * element by element (NaN payloads excepted: a NaN may come back quieted).
 *
 * <p>bf16 runs on the Vector API (widening is a shift; narrowing integer rounding with a NaN blend): 8-17x
 * the scalar loop. f16 does not: the Vector API has no half-float conversion, and a bit-arithmetic vector
 * version measured 0.4-0.5x of the plain loop over {@link Float#float16ToFloat} / {@link Float#floatToFloat16},
 * which C2 compiles to F16C/AVX-512 conversion vectors (2-core AVX-512 dev machine, load average ~20 while measured).
 */
public final class Convert {
    private Convert() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Short species with as many lanes as {@link #I}, so that S2I / I2S change neither lane count nor part. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));
    private static final int L = I.length();

    // ---------------------------------------------------------------- bf16 -> f32

    /** Widens {@code n} bf16 values at byte offset {@code src} of {@code in} into {@code out[dst..]}. */
    public static void bf16ToF32(MemorySegment in, long src, float[] out, int dst, int n) {
        checkRange(in, src, n, 2, out.length, dst);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            ShortVector s = ShortVector.fromMemorySegment(S, in, src + 2L * i, LE);
            IntVector x = ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            x.reinterpretAsFloats().intoArray(out, dst + i);
        }
        for (; i < n; i++) out[dst + i] = Bf16.toFloat(in.get(S16, src + 2L * i));
    }

    public static void bf16ToF32(short[] in, int src, float[] out, int dst, int n) {
        checkArrays(in.length, src, out.length, dst, n);
        bf16ToF32(MemorySegment.ofArray(in), 2L * src, out, dst, n);
    }

    // ---------------------------------------------------------------- f16 -> f32

    /** Widens {@code n} IEEE half values at byte offset {@code src} of {@code in} into {@code out[dst..]}. */
    public static void f16ToF32(MemorySegment in, long src, float[] out, int dst, int n) {
        checkRange(in, src, n, 2, out.length, dst);
        // C2 turns this loop into vcvtph2ps vectors: twice as fast as any Vector API formulation (see class doc)
        for (int i = 0; i < n; i++) out[dst + i] = Float.float16ToFloat(in.get(S16, src + 2L * i));
    }

    public static void f16ToF32(short[] in, int src, float[] out, int dst, int n) {
        checkArrays(in.length, src, out.length, dst, n);
        f16ToF32(MemorySegment.ofArray(in), 2L * src, out, dst, n);
    }

    // ---------------------------------------------------------------- f32 -> bf16

    /** Narrows {@code in[src..src+n)} to bf16 (round to nearest even) at byte offset {@code dst} of {@code out}. */
    public static void f32ToBf16(float[] in, int src, MemorySegment out, long dst, int n) {
        checkRange(out, dst, n, 2, in.length, src);
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            IntVector x = FloatVector.fromArray(F, in, src + i).reinterpretAsInts();
            IntVector hi = x.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = x.add(0x7fff).add(hi.and(1)).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = x.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
            IntVector r = rounded.blend(hi.or(0x40), nan);
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(out, dst + 2L * i, LE);
        }
        for (; i < n; i++) out.set(S16, dst + 2L * i, Bf16.fromFloat(in[src + i]));
    }

    public static void f32ToBf16(float[] in, int src, short[] out, int dst, int n) {
        checkArrays(out.length, dst, in.length, src, n);
        f32ToBf16(in, src, MemorySegment.ofArray(out), 2L * dst, n);
    }

    // ---------------------------------------------------------------- f32 -> f16

    /** Narrows {@code in[src..src+n)} to IEEE half (round to nearest even) at byte offset {@code dst} of {@code out}. */
    public static void f32ToF16(float[] in, int src, MemorySegment out, long dst, int n) {
        checkRange(out, dst, n, 2, in.length, src);
        // C2 turns this loop into vcvtps2ph vectors (see class doc)
        for (int i = 0; i < n; i++) out.set(S16, dst + 2L * i, Float.floatToFloat16(in[src + i]));
    }

    public static void f32ToF16(float[] in, int src, short[] out, int dst, int n) {
        checkArrays(out.length, dst, in.length, src, n);
        f32ToF16(in, src, MemorySegment.ofArray(out), 2L * dst, n);
    }

    // ---------------------------------------------------------------- by dtype

    /** Reads {@code n} values of float dtype {@code from} at byte offset {@code src} of {@code in} as f32. */
    public static void toF32(DType from, MemorySegment in, long src, float[] out, int dst, int n) {
        switch (from) {
            case F32 -> {
                checkRange(in, src, n, 4, out.length, dst);
                MemorySegment.copy(in, F32, src, out, dst, n);
            }
            case BF16 -> bf16ToF32(in, src, out, dst, n);
            case F16 -> f16ToF32(in, src, out, dst, n);
            default -> throw new IllegalArgumentException("not a float dtype: " + from);
        }
    }

    /** Writes {@code n} f32 values as float dtype {@code to} at byte offset {@code dst} of {@code out}. */
    public static void fromF32(DType to, float[] in, int src, MemorySegment out, long dst, int n) {
        switch (to) {
            case F32 -> {
                checkRange(out, dst, n, 4, in.length, src);
                MemorySegment.copy(in, src, out, F32, dst, n);
            }
            case BF16 -> f32ToBf16(in, src, out, dst, n);
            case F16 -> f32ToF16(in, src, out, dst, n);
            default -> throw new IllegalArgumentException("not a float dtype: " + to);
        }
    }

    /**
     * Converts {@code n} elements between float dtypes segment to segment (byte offsets), through a small
     * heap buffer; the same dtype is a plain copy. {@code n} may exceed 2^31.
     */
    public static void convert(DType from, MemorySegment in, long src, DType to, MemorySegment out, long dst, long n) {
        if (n < 0) throw new IllegalArgumentException("negative count " + n);
        if (from == to) {
            MemorySegment.copy(in, src, out, dst, n * from.bytes);
            return;
        }
        float[] buf = new float[(int) Math.min(n, 8192)];
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(buf.length, n - done);
            toF32(from, in, src + done * from.bytes, buf, 0, k);
            fromF32(to, buf, 0, out, dst + done * to.bytes, k);
            done += k;
        }
    }

    public static short[] toBf16(float[] in) {
        short[] out = new short[in.length];
        f32ToBf16(in, 0, out, 0, in.length);
        return out;
    }

    public static short[] toF16(float[] in) {
        short[] out = new short[in.length];
        f32ToF16(in, 0, out, 0, in.length);
        return out;
    }

    public static float[] fromBf16(short[] in) {
        float[] out = new float[in.length];
        bf16ToF32(in, 0, out, 0, in.length);
        return out;
    }

    public static float[] fromF16(short[] in) {
        float[] out = new float[in.length];
        f16ToF32(in, 0, out, 0, in.length);
        return out;
    }

    // Bounds are checked up front so that a bad call fails before writing anything (the vector loads
    // would check too, but only after part of the output had been written).
    private static void checkRange(MemorySegment seg, long byteOff, int n, int width, int arrayLen, int arrayOff) {
        if (n < 0 || byteOff < 0 || byteOff + (long) n * width > seg.byteSize())
            throw new IndexOutOfBoundsException(n + " elements of " + width + " bytes at byte " + byteOff + " exceed a segment of " + seg.byteSize() + " bytes");
        if (arrayOff < 0 || (long) arrayOff + n > arrayLen)
            throw new IndexOutOfBoundsException(n + " elements at " + arrayOff + " exceed an array of " + arrayLen);
    }

    private static void checkArrays(int shortLen, int shortOff, int floatLen, int floatOff, int n) {
        if (n < 0 || shortOff < 0 || (long) shortOff + n > shortLen || floatOff < 0 || (long) floatOff + n > floatLen)
            throw new IndexOutOfBoundsException(n + " elements at " + shortOff + "/" + floatOff + " exceed arrays of " + shortLen + "/" + floatLen);
    }
}
