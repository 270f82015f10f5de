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

    /** Row-major without gaps (dimensions of size 1 may carry any stride). */
    public boolean isContiguous() {
        long n = numel();
        return n == 0 || runLength(0) == n;
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

    /** Reorders dimensions: dimension i of the result is dimension {@code order[i]} of this (a view, no copy). */
    public Tensor permute(int... order) {
        if (order.length != shape.length) throw new IllegalArgumentException("permute of rank " + shape.length + " given " + order.length + " dimensions");
        boolean[] seen = new boolean[order.length];
        long[] sh = new long[order.length], st = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            int d = order[i];
            if (d < 0 || d >= order.length || seen[d]) throw new IllegalArgumentException("not a permutation of 0.." + (order.length - 1) + ": " + Arrays.toString(order));
            seen[d] = true;
            sh[i] = shape[d];
            st[i] = strides[d];
        }
        return new Tensor(segment, dtype, sh, st, offset);
    }

    /** A new contiguous tensor of {@code target} dtype in {@code arena} holding this tensor's values. */
    public Tensor to(DType target, Arena arena) {
        Tensor t = allocate(arena, target, shape);
        copyTo(t);
        return t;
    }

    /** This tensor if it is contiguous, else a contiguous copy in {@code arena}. */
    public Tensor contiguous(Arena arena) {
        return isContiguous() ? this : to(dtype, arena);
    }

    /** This tensor if it is contiguous, else a contiguous copy whose memory the garbage collector frees. */
    public Tensor contiguous() {
        return contiguous(Arena.ofAuto());
    }

    /** A new f32/bf16/f16/i32/i64 tensor holding {@code data} (16-bit floats round to nearest even). */
    public static Tensor fromFloats(Arena arena, DType dtype, float[] data, long... shape) {
        if (product(shape) != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        Tensor t = allocate(arena, dtype, shape);
        t.writeFloats(0, data, 0, data.length);
        return t;
    }

    /**
     * Copies this tensor's values into {@code dst} of the same shape, converting the dtype when they differ
     * (16-bit floats round to nearest even; I32 -> I64 is exact, I64 -> I32 and integer <-> float follow
     * Java's casts). Either side may be a strided view; the two must not overlap.
     */
    public void copyTo(Tensor dst) {
        if (!Arrays.equals(shape, dst.shape)) throw new IllegalArgumentException("copy of " + Arrays.toString(shape) + " into " + Arrays.toString(dst.shape));
        long n = numel();
        if (n == 0) return;
        if (dtype == dst.dtype) {
            long w = dtype.bytes;
            for (long pos = 0; pos < n; ) {
                long a = runLength(pos), b = dst.runLength(pos);
                long se = flatToElement(pos), de = dst.flatToElement(pos);
                long k;
                if (a > 1 && b > 1) {
                    k = Math.min(Math.min(a, b), n - pos);
                    MemorySegment.copy(segment, se * w, dst.segment, de * w, k * w);
                } else {
                    k = rowRemaining(pos);
                    copyStrided(se, lastStride(), dst, de, dst.lastStride(), k);
                }
                pos += k;
            }
        } else if (dtype.isFloat() && dst.dtype.isFloat()) {
            float[] buf = new float[(int) Math.min(n, 8192)];
            for (long pos = 0; pos < n; ) {
                int k = (int) Math.min(buf.length, n - pos);
                readFloats(pos, buf, 0, k);
                dst.writeFloats(pos, buf, 0, k);
                pos += k;
            }
        } else {
            for (long pos = 0; pos < n; pos++) {
                long se = flatToElement(pos), de = dst.flatToElement(pos);
                if (dtype.isFloat() || dst.dtype.isFloat()) dst.setFlat(de, getFlat(se));
                else if (dst.dtype == DType.I32) dst.segment.set(I32, de * 4, (int) getLongFlat(se));
                else dst.segment.set(I64, de * 8, getLongFlat(se));
            }
        }
    }

    private long getLongFlat(long e) {
        return dtype == DType.I64 ? segment.get(I64, e * 8) : segment.get(I32, e * 4);
    }

    /**
     * Reads {@code n} elements, starting at row-major position {@code from} of this view, as f32 into
     * {@code dst[off..]}. Unit-stride stretches of f32/bf16/f16 go through {@link Convert}'s vector loops.
     */
    public void readFloats(long from, float[] dst, int off, int n) {
        checkSpan(from, n);
        if (off < 0 || (long) off + n > dst.length) throw new IndexOutOfBoundsException(n + " values at " + off + " exceed an array of " + dst.length);
        for (int i = 0; i < n; ) {
            long pos = from + i;
            long e = flatToElement(pos), run = runLength(pos);
            int k;
            if (run > 1 && dtype.isFloat()) {
                k = (int) Math.min(n - i, run);
                Convert.toF32(dtype, segment, e * dtype.bytes, dst, off + i, k);
            } else {
                k = (int) Math.min(n - i, run > 1 ? run : rowRemaining(pos));
                long st = run > 1 ? 1 : lastStride();
                for (int j = 0; j < k; j++) dst[off + i + j] = getFlat(e + j * st);
            }
            i += k;
        }
    }

    /** Writes {@code n} f32 values into this view from row-major position {@code from}, rounding to nearest even. */
    public void writeFloats(long from, float[] src, int off, int n) {
        checkSpan(from, n);
        if (off < 0 || (long) off + n > src.length) throw new IndexOutOfBoundsException(n + " values at " + off + " exceed an array of " + src.length);
        for (int i = 0; i < n; ) {
            long pos = from + i;
            long e = flatToElement(pos), run = runLength(pos);
            int k;
            if (run > 1 && dtype.isFloat()) {
                k = (int) Math.min(n - i, run);
                Convert.fromF32(dtype, src, off + i, segment, e * dtype.bytes, k);
            } else {
                k = (int) Math.min(n - i, run > 1 ? run : rowRemaining(pos));
                long st = run > 1 ? 1 : lastStride();
                for (int j = 0; j < k; j++) setFlat(e + j * st, src[off + i + j]);
            }
            i += k;
        }
    }

    /**
     * Copies the raw bytes of {@code n} elements, from row-major position {@code from} of this view, into
     * {@code dst} at {@code dstByte}, packed (the dtype is kept; serialisers gather strided views with it).
     */
    public void copyRawTo(long from, long n, MemorySegment dst, long dstByte) {
        if (n < 0 || from < 0 || from + n > numel())
            throw new IndexOutOfBoundsException("elements [" + from + "," + (from + n) + ") of a tensor of " + numel());
        long w = dtype.bytes;
        for (long i = 0; i < n; ) {
            long pos = from + i, run = runLength(pos), e = flatToElement(pos);
            long k;
            if (run > 1) {
                k = Math.min(n - i, run);
                MemorySegment.copy(segment, e * w, dst, dstByte + i * w, k * w);
            } else {
                k = Math.min(n - i, rowRemaining(pos));
                long st = lastStride(), at = dstByte + i * w;
                switch (dtype.bytes) {
                    case 2 -> { for (long j = 0; j < k; j++) dst.set(I16, at + j * 2, segment.get(I16, (e + j * st) * 2)); }
                    case 4 -> { for (long j = 0; j < k; j++) dst.set(I32, at + j * 4, segment.get(I32, (e + j * st) * 4)); }
                    default -> { for (long j = 0; j < k; j++) dst.set(I64, at + j * 8, segment.get(I64, (e + j * st) * 8)); }
                }
            }
            i += k;
        }
    }

    /** {@code n} elements from row-major position {@code from} of this view, as f32. */
    public float[] toFloatArray(long from, int n) {
        float[] out = new float[n];
        readFloats(from, out, 0, n);
        return out;
    }

    /** Copies every element into a new float array (row-major order of this view). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor of " + n + " elements does not fit a Java array");
        return toFloatArray(0, (int) n);
    }

    private void checkSpan(long from, int n) {
        if (n < 0 || from < 0 || from + n > numel())
            throw new IndexOutOfBoundsException("elements [" + from + "," + (from + n) + ") of a tensor of " + numel());
    }

    private long lastStride() { return shape.length == 0 ? 0 : strides[shape.length - 1]; }

    /** Elements from row-major position {@code pos} to the end of its last-dimension row. */
    private long rowRemaining(long pos) {
        if (shape.length == 0) return 1;
        long cols = shape[shape.length - 1];
        return cols - pos % cols;
    }

    /** Copies {@code k} same-dtype elements between strided rows (views such as transposes). */
    private void copyStrided(long se, long ss, Tensor dst, long de, long ds, long k) {
        MemorySegment d = dst.segment;
        switch (dtype.bytes) {
            case 2 -> { for (long j = 0; j < k; j++) d.set(I16, (de + j * ds) * 2, segment.get(I16, (se + j * ss) * 2)); }
            case 4 -> { for (long j = 0; j < k; j++) d.set(I32, (de + j * ds) * 4, segment.get(I32, (se + j * ss) * 4)); }
            case 8 -> { for (long j = 0; j < k; j++) d.set(I64, (de + j * ds) * 8, segment.get(I64, (se + j * ss) * 8)); }
            default -> throw new IllegalStateException("element size " + dtype.bytes);
        }
    }

    /** Segment element index of row-major position {@code pos} of this view. */
    private long flatToElement(long pos) {
        long e = offset;
        for (int d = shape.length - 1; d >= 0 && pos != 0; d--) {
            long s = shape[d];
            e += (pos % s) * strides[d];
            pos /= s;
        }
        return e;
    }

    /**
     * How many elements from row-major position {@code pos} lie at consecutive segment elements: the rest
     * of the longest trailing block of dimensions that is laid out row-major.
     */
    private long runLength(long pos) {
        long block = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != block) break;
            block *= shape[d];
        }
        return block - pos % block;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype;
    }
}
