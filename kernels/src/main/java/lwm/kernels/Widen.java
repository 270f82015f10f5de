package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads checkpoint weights (f32, bf16, f16 in a MemorySegment) as f32 vectors, widening in registers:
 * a weight is never converted up front, so a bf16 7B model stays 13 GB in memory and its matrix-vector
 * products read half the bytes.
 */
final class Widen {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(V * 16));
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int KIND_F32 = 0, KIND_BF16 = 1, KIND_F16 = 2;

    private Widen() {}

    static int kind(Tensor t) {
        return switch (t.dtype()) {
            case F32 -> KIND_F32;
            case BF16 -> KIND_BF16;
            case F16 -> KIND_F16;
            default -> throw new IllegalArgumentException("weight " + t + " must be f32, bf16 or f16");
        };
    }

    /**
     * V consecutive weights starting at element index e of the segment, as f32. Hot loops call the
     * per-dtype loaders below directly: one loop body with all three branches defeats C2's vector
     * intrinsics (vectors get boxed) and runs ten times slower.
     */
    static FloatVector load(MemorySegment seg, long e, int kind) {
        return switch (kind) {
            case KIND_F32 -> loadF32(seg, e);
            case KIND_BF16 -> loadBf16(seg, e);
            default -> loadF16(seg, e);
        };
    }

    static FloatVector loadF32(MemorySegment seg, long e) {
        return FloatVector.fromMemorySegment(S, seg, e * 4, ByteOrder.LITTLE_ENDIAN);
    }

    /** bf16 is the top half of an f32: widen the 16-bit lanes to 32 and shift them into place. */
    static FloatVector loadBf16(MemorySegment seg, long e) {
        ShortVector h = ShortVector.fromMemorySegment(SH, seg, e * 2, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) h.convertShape(VectorOperators.S2I, SI, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static FloatVector loadF16(MemorySegment seg, long e) {
        ShortVector h = ShortVector.fromMemorySegment(SH, seg, e * 2, ByteOrder.LITTLE_ENDIAN);
        return halfToFloat((IntVector) h.convertShape(VectorOperators.S2I, SI, 0));
    }

    /** dst[dOff .. dOff+n) = n consecutive weights from element e, widened; one loop per dtype. */
    static void row(MemorySegment seg, long e, int n, int kind, float[] dst, int dOff) {
        int bound = S.loopBound(n), i = 0;
        switch (kind) {
            case KIND_F32 -> { for (; i < bound; i += V) loadF32(seg, e + i).intoArray(dst, dOff + i); }
            case KIND_BF16 -> { for (; i < bound; i += V) loadBf16(seg, e + i).intoArray(dst, dOff + i); }
            default -> { for (; i < bound; i += V) loadF16(seg, e + i).intoArray(dst, dOff + i); }
        }
        for (; i < n; i++) dst[dOff + i] = get(seg, e + i, kind);
    }

    /** As {@link #row} for a strided run (stride in elements). */
    static void row(MemorySegment seg, long e, long stride, int n, int kind, float[] dst, int dOff) {
        if (stride == 1) { row(seg, e, n, kind, dst, dOff); return; }
        for (int i = 0; i < n; i++) dst[dOff + i] = get(seg, e + i * stride, kind);
    }

    /**
     * IEEE half to float on sign-extended 16-bit lanes: shifting the 15 magnitude bits into float position
     * and scaling by 2^112 rebases the exponent exactly for normal and subnormal halves; infinities and NaNs
     * (exponent 31) get the float's all-ones exponent instead.
     */
    static FloatVector halfToFloat(IntVector i) {
        IntVector mag = i.and(0x7fff);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector f = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = mag.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = f.reinterpretAsInts();
        bits = bits.blend(mag.lanewise(VectorOperators.LSHL, 13).or(0x7f800000), special);
        return bits.or(sign).reinterpretAsFloats();
    }

    /** One weight as f32 (tails and strided access). */
    static float get(MemorySegment seg, long e, int kind) {
        return switch (kind) {
            case KIND_F32 -> seg.get(F32, e * 4);
            case KIND_BF16 -> Float.intBitsToFloat((seg.get(I16, e * 2) & 0xffff) << 16);
            default -> Float.float16ToFloat(seg.get(I16, e * 2));
        };
    }

    static void checkFloat(Tensor t) {
        DType d = t.dtype();
        if (d != DType.F32 && d != DType.BF16 && d != DType.F16)
            throw new IllegalArgumentException("weight " + t + " must be f32, bf16 or f16");
    }
}
