package lwm.tensor;

/** IEEE half <-> float32 conversions; the JDK's own are round-to-nearest-even and intrinsified. */
public final class F16 {
    private F16() {}

    public static float toFloat(short bits) { return Float.float16ToFloat(bits); }

    public static short fromFloat(float f) { return Float.floatToFloat16(f); }
}
