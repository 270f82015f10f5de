package lwm.kernels.opencl;

/**
 * A checkpoint weight resident on the device in its stored dtype: f32 in an F32 buffer, bf16/f16 as raw
 * 16-bit patterns in an I16 buffer (widened inside the kernels, never converted up front).
 * {@code offset} is the element offset of this weight inside {@code data}, so the same kind of weight of
 * every layer can live in one buffer.
 */
public record ClWeight(ClBuffer data, Kind kind, int offset) {
    public enum Kind {
        F32(0), BF16(1), F16(2);
        final int code;
        Kind(int code) { this.code = code; }
    }

    public ClWeight {
        if ((kind == Kind.F32) != (data.type() == ClBuffer.Type.F32))
            throw new IllegalArgumentException(kind + " weight in a " + data.type() + " buffer");
    }
}
