package lwm.kernels.opencl;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A device-resident array: stays on the device across any number of kernel launches until closed.
 * Element types mirror the Java arrays the kernels are written against: f32 ({@code float[]}), i32
 * ({@code int[]}) and 16-bit ({@code short[]}, bf16 or f16 bit patterns). Offsets and counts are in elements.
 * Transfers are blocking, so the host array may be reused as soon as a call returns.
 */
public final class ClBuffer implements AutoCloseable {

    public enum Type {
        F32(4), I32(4), I16(2);
        final int bytes;
        Type(int bytes) { this.bytes = bytes; }
    }

    private final ClContext ctx;
    final MemorySegment mem;
    private final Type type;
    private final long length;
    private boolean closed;

    ClBuffer(ClContext ctx, Type type, long length) {
        if (length <= 0) throw new IllegalArgumentException("buffer length must be positive, got " + length);
        this.ctx = ctx;
        this.type = type;
        this.length = length;
        this.mem = Cl.createBuffer(ctx.context, length * type.bytes);
    }

    public Type type() { return type; }
    public long length() { return length; }
    public ClContext context() { return ctx; }

    public ClBuffer write(float[] src, int srcOff, long dstOff, int n) {
        check(Type.F32, dstOff, n, src.length, srcOff);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_FLOAT, n);
            MemorySegment.copy(src, srcOff, s, JAVA_FLOAT, 0, n);
            Cl.write(ctx.queue, mem, dstOff * 4, n * 4L, s);
        }
        return this;
    }

    public ClBuffer write(int[] src, int srcOff, long dstOff, int n) {
        check(Type.I32, dstOff, n, src.length, srcOff);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_INT, n);
            MemorySegment.copy(src, srcOff, s, JAVA_INT, 0, n);
            Cl.write(ctx.queue, mem, dstOff * 4, n * 4L, s);
        }
        return this;
    }

    public ClBuffer write(short[] src, int srcOff, long dstOff, int n) {
        check(Type.I16, dstOff, n, src.length, srcOff);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_SHORT, n);
            MemorySegment.copy(src, srcOff, s, JAVA_SHORT, 0, n);
            Cl.write(ctx.queue, mem, dstOff * 2, n * 2L, s);
        }
        return this;
    }

    public void read(long srcOff, float[] dst, int dstOff, int n) {
        check(Type.F32, srcOff, n, dst.length, dstOff);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_FLOAT, n);
            Cl.read(ctx.queue, mem, srcOff * 4, n * 4L, s);
            MemorySegment.copy(s, JAVA_FLOAT, 0, dst, dstOff, n);
        }
    }

    public void read(long srcOff, int[] dst, int dstOff, int n) {
        check(Type.I32, srcOff, n, dst.length, dstOff);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_INT, n);
            Cl.read(ctx.queue, mem, srcOff * 4, n * 4L, s);
            MemorySegment.copy(s, JAVA_INT, 0, dst, dstOff, n);
        }
    }

    /** Sets n elements from off to a float value (f32 buffers). */
    public ClBuffer fill(float value, long off, long n) {
        check(Type.F32, off, n, Long.MAX_VALUE, 0);
        if (n > 0) try (Arena a = Arena.ofConfined()) {
            Cl.fill(ctx.queue, mem, a.allocateFrom(JAVA_FLOAT, value), 4, off * 4, n * 4);
        }
        return this;
    }

    /** Device-to-device copy of n elements. */
    public ClBuffer copyFrom(ClBuffer src, long srcOff, long dstOff, long n) {
        if (src.type != type) throw new IllegalArgumentException("copy between " + src.type + " and " + type + " buffers");
        src.check(type, srcOff, n, Long.MAX_VALUE, 0);
        check(type, dstOff, n, Long.MAX_VALUE, 0);
        if (n > 0) Cl.copy(ctx.queue, src.mem, mem, srcOff * type.bytes, dstOff * type.bytes, n * type.bytes);
        return this;
    }

    private void check(Type t, long devOff, long n, long hostLen, long hostOff) {
        checkOpen();
        if (t != type) throw new IllegalArgumentException("a " + type + " buffer used as " + t);
        if (n < 0 || devOff < 0 || devOff + n > length)
            throw new IndexOutOfBoundsException("device range [" + devOff + ", " + (devOff + n) + ") outside buffer of " + length);
        if (hostOff < 0 || hostOff + n > hostLen)
            throw new IndexOutOfBoundsException("host range [" + hostOff + ", " + (hostOff + n) + ") outside array of " + hostLen);
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("buffer already released");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Cl.releaseMem(mem);
        }
    }
}
