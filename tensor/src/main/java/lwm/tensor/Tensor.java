package lwm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A strided view over off-heap memory. Element offsets and sizes are {@code long} so that tensors of
 * more than 2^31 elements (a 7B model's stacked weights, a 1M-token KV cache) are addressable.
 * Views and slices share the segment: no copy is ever made implicitly.
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides; // in elements
    private final long offset;    // in elements

    public Tensor(MemorySegment segment, DType dtype, long[] shape, long[] strides, long offset) {
        if (shape.length != strides.length) throw new IllegalArgumentException("shape and strides differ in rank");
        for (long s : shape) if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        this.segment = segment;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
        long maxIndex = offset;
        for (int i = 0; i < shape.length; i++) if (shape[i] > 0) maxIndex += (shape[i] - 1) * strides[i];
        if (numel() > 0 && (offset < 0 || (maxIndex + 1) * dtype.bytes > segment.byteSize()))
            throw new IllegalArgumentException("view " + Arrays.toString(shape) + " exceeds its segment of " + segment.byteSize() + " bytes");
    }

    /** Contiguous row-major tensor over an existing segment. */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        return new Tensor(segment, dtype, shape, rowMajorStrides(shape), 0);
    }

    /** Zeroed contiguous tensor whose memory lives as long as {@code arena}. */
    public static Tensor allocate(Arena arena, DType dtype, long... shape) {
        long n = product(shape);
        return wrap(arena.allocate(n * dtype.bytes, 64), dtype, shape);
    }

    /** Copies a float array into a new f32 tensor (tests, small tables). */
    public static Tensor ofFloats(Arena arena, float[] data, long... shape) {
        if (product(shape) != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        Tensor t = allocate(arena, DType.F32, shape);
        MemorySegment.copy(data, 0, t.segment, F32, 0, data.length);
        return t;
    }

    public static long[] rowMajorStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]; }
        return st;
    }

    static long product(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    public MemorySegment segment() { return segment; }
    public DType dtype() { return dtype; }
    public int rank() { return shape.length; }
    public long[] shape() { return shape.clone(); }
    public long dim(int i) { return shape[i]; }
    public long[] strides() { return strides.clone(); }
    public long stride(int i) { return strides[i]; }
    /** Offset of element [0,...,0] from the segment start, in elements. */
    public long offset() { return offset; }
    public long numel() { return product(shape); }

    public boolean isContiguous() {
        return Arrays.equals(strides, rowMajorStrides(shape));
    }

    /** Byte address (within {@link #segment()}) of the element at flat element index {@code e} of the segment. */
    public long byteOffset(long element) { return element * dtype.bytes; }

    /** Element index in the segment of the given multi-index. */
    public long index(long... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("expected " + shape.length + " indices, got " + idx.length);
        long e = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + idx[i] + " out of [0," + shape[i] + ") in dim " + i);
            e += idx[i] * strides[i];
        }
        return e;
    }

    /** Reads one element (at segment element index e) as f32, whatever the dtype. */
    public float getFlat(long e) {
        return switch (dtype) {
            case F32 -> segment.get(F32, e * 4);
            case BF16 -> Bf16.toFloat(segment.get(I16, e * 2));
            case F16 -> F16.toFloat(segment.get(I16, e * 2));
            case I32 -> segment.get(I32, e * 4);
            case I64 -> segment.get(I64, e * 8);
        };
    }

    /** Writes one element (at segment element index e) from f32, rounding to nearest even for 16-bit floats. */
    public void setFlat(long e, float v) {
        switch (dtype) {
            case F32 -> segment.set(F32, e * 4, v);
            case BF16 -> segment.set(I16, e * 2, Bf16.fromFloat(v));
            case F16 -> segment.set(I16, e * 2, F16.fromFloat(v));
            case I32 -> segment.set(I32, e * 4, (int) v);
            case I64 -> segment.set(I64, e * 8, (long) v);
        }
    }

    public float get(long... idx) { return getFlat(index(idx)); }
    public void set(float v, long... idx) { setFlat(index(idx), v); }

    /** Rows [from, to) of dimension {@code dim}; shares memory. */
    public Tensor slice(int dim, long from, long to) {
        if (from < 0 || to > shape[dim] || from > to) throw new IndexOutOfBoundsException("slice [" + from + "," + to + ") of dim " + dim + " with size " + shape[dim]);
        long[] sh = shape.clone();
        sh[dim] = to - from;
        return new Tensor(segment, dtype, sh, strides, offset + from * strides[dim]);
    }

    /** Removes dimension 0 by selecting index i. */
    public Tensor select(long i) {
        Tensor s = slice(0, i, i + 1);
        return new Tensor(segment, dtype, Arrays.copyOfRange(s.shape, 1, shape.length), Arrays.copyOfRange(strides, 1, strides.length), s.offset);
    }

    /** Reinterprets a contiguous tensor with a new shape of the same element count. */
    public Tensor reshape(long... newShape) {
        if (!isContiguous()) throw new IllegalStateException("reshape of a non-contiguous view; copy it first");
        if (product(newShape) != numel()) throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        return new Tensor(segment, dtype, newShape, rowMajorStrides(newShape), offset);
    }

    /** Swaps two dimensions (a view, no copy). */
    public Tensor transpose(int a, int b) {
        long[] sh = shape.clone(), st = strides.clone();
        long t = sh[a]; sh[a] = sh[b]; sh[b] = t;
        t = st[a]; st[a] = st[b]; st[b] = t;
        return new Tensor(segment, dtype, sh, st, offset);
    }

    /** Copies every element into a new float array (row-major order of this view). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor of " + n + " elements does not fit a Java array");
        float[] out = new float[(int) n];
        if (dtype == DType.F32 && isContiguous()) {
            MemorySegment.copy(segment, F32, offset * 4, out, 0, (int) n);
            return out;
        }
        long[] idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            long e = offset;
            for (int d = 0; d < idx.length; d++) e += idx[d] * strides[d];
            out[i] = getFlat(e);
            for (int d = idx.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        return out;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype;
    }
}
