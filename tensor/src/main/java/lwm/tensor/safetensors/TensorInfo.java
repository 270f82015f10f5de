package lwm.tensor.safetensors;

import java.util.Arrays;
import lwm.tensor.DType;

/**
 * One header entry of a safetensors file. {@code dtype} is null for dtypes of the format that lwm does not
 * compute with (F64, U8, BOOL, ...); {@code dtypeName} always holds the format's string. Offsets are bytes
 * within the data section, end exclusive.
 */
public record TensorInfo(String name, String dtypeName, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long numel() {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    public long byteSize() { return end - begin; }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtypeName.equals(t.dtypeName)
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() { return name + " " + dtypeName + Arrays.toString(shape) + " @[" + begin + "," + end + ")"; }
}
