package lwm.tensor;

/** Element types of tensors and of safetensors files; names are the safetensors dtype strings. */
public enum DType {
    F32(4, "F32"), BF16(2, "BF16"), F16(2, "F16"), I32(4, "I32"), I64(8, "I64");

    public final int bytes;
    public final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    public boolean isFloat() { return this == F32 || this == BF16 || this == F16; }

    /** Parses a safetensors dtype string; returns null for dtypes this engine does not handle. */
    public static DType fromSafetensors(String s) {
        for (DType d : values()) if (d.safetensorsName.equals(s)) return d;
        return null;
    }
}
