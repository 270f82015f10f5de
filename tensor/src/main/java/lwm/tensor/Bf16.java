package lwm.tensor;

/** bfloat16 <-> float32 bit conversions; narrowing rounds to nearest even and keeps NaN a NaN. */
public final class Bf16 {
    private Bf16() {}

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short fromFloat(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) return (short) ((x >>> 16) | 0x0040); // quiet NaN, sign kept
        int lsb = (x >>> 16) & 1;
        return (short) ((x + 0x7fff + lsb) >>> 16);
    }
}
