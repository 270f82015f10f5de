package lwm.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The OpenCL 1.2 C API through the JDK's foreign-function interface: the ICD loader ({@code libOpenCL.so.1})
 * is bound directly, so the backend needs no JNI library of its own and finds every registered platform
 * (PoCL, NVIDIA) the way {@code clinfo} does. Handles are {@link MemorySegment} addresses; size_t is 64-bit.
 */
final class Cl {
    private Cl() {}

    static final int CL_SUCCESS = 0, CL_DEVICE_NOT_FOUND = -1, CL_PLATFORM_NOT_FOUND_KHR = -1001;
    static final int CL_PLATFORM_NAME = 0x0902;
    static final long CL_DEVICE_TYPE_CPU = 2, CL_DEVICE_TYPE_GPU = 4, CL_DEVICE_TYPE_ACCELERATOR = 8, CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023, CL_DEVICE_NAME = 0x102B,
            CL_DEVICE_VERSION = 0x102F, CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032;
    static final long CL_CONTEXT_PLATFORM = 0x1084, CL_MEM_READ_WRITE = 1;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;

    private static String loadError;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = load();

    private static SymbolLookup load() {
        for (String name : new String[] {"libOpenCL.so.1", "libOpenCL.so", "/usr/lib/x86_64-linux-gnu/libOpenCL.so.1"}) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                loadError = e.getMessage();
            }
        }
        return null;
    }

    private static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
        if (LIB == null) return null;
        return LIB.find(name).map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(ret, args))).orElse(null);
    }

    private static final MethodHandle
            getPlatformIDs = fn("clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            getPlatformInfo = fn("clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            getDeviceIDs = fn("clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS),
            getDeviceInfo = fn("clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            createContext = fn("clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
            createCommandQueue = fn("clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
            createBuffer = fn("clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            enqueueWriteBuffer = fn("clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
            enqueueReadBuffer = fn("clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
            enqueueFillBuffer = fn("clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS),
            enqueueCopyBuffer = fn("clEnqueueCopyBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS),
            createProgramWithSource = fn("clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
            buildProgram = fn("clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
            getProgramInfo = fn("clGetProgramInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            getProgramBuildInfo = fn("clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            createKernel = fn("clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS),
            setKernelArg = fn("clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS),
            enqueueNDRangeKernel = fn("clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
            finish = fn("clFinish", JAVA_INT, ADDRESS),
            releaseMemObject = fn("clReleaseMemObject", JAVA_INT, ADDRESS),
            releaseKernel = fn("clReleaseKernel", JAVA_INT, ADDRESS),
            releaseProgram = fn("clReleaseProgram", JAVA_INT, ADDRESS),
            releaseCommandQueue = fn("clReleaseCommandQueue", JAVA_INT, ADDRESS),
            releaseContext = fn("clReleaseContext", JAVA_INT, ADDRESS);

    /** Throws when no OpenCL runtime is installed; called before any other method. */
    static void requireRuntime() {
        if (LIB == null || getPlatformIDs == null)
            throw new OpenClException("OpenCL: no runtime library (libOpenCL.so.1, package ocl-icd-libopencl1) could be loaded"
                    + (loadError == null ? "" : ": " + loadError));
    }

    static void check(int rc, String what) {
        if (rc != CL_SUCCESS) throw new OpenClException("OpenCL: " + what + " failed: " + errorName(rc), rc);
    }

    static String errorName(int rc) {
        String n = switch (rc) {
            case -1 -> "CL_DEVICE_NOT_FOUND";
            case -4 -> "CL_MEM_OBJECT_ALLOCATION_FAILURE";
            case -5 -> "CL_OUT_OF_RESOURCES";
            case -6 -> "CL_OUT_OF_HOST_MEMORY";
            case -11 -> "CL_BUILD_PROGRAM_FAILURE";
            case -30 -> "CL_INVALID_VALUE";
            case -33 -> "CL_INVALID_DEVICE";
            case -36 -> "CL_INVALID_COMMAND_QUEUE";
            case -38 -> "CL_INVALID_MEM_OBJECT";
            case -46 -> "CL_INVALID_KERNEL_NAME";
            case -48 -> "CL_INVALID_KERNEL";
            case -49 -> "CL_INVALID_ARG_INDEX";
            case -50 -> "CL_INVALID_ARG_VALUE";
            case -51 -> "CL_INVALID_ARG_SIZE";
            case -52 -> "CL_INVALID_KERNEL_ARGS";
            case -54 -> "CL_INVALID_WORK_GROUP_SIZE";
            case -55 -> "CL_INVALID_WORK_ITEM_SIZE";
            case -61 -> "CL_INVALID_BUFFER_SIZE";
            case -1001 -> "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform registered in /etc/OpenCL/vendors)";
            default -> null;
        };
        return n == null ? "error " + rc : n + " (" + rc + ")";
    }

    static RuntimeException wrap(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new OpenClException("OpenCL call failed: " + t, t);
    }

    // ---------------------------------------------------------------- thin wrappers (errors become exceptions)

    static int getPlatformIDs(int n, MemorySegment out, MemorySegment count) {
        try { return (int) getPlatformIDs.invokeExact(n, out, count); } catch (Throwable t) { throw wrap(t); }
    }

    static int getPlatformInfo(MemorySegment p, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) getPlatformInfo.invokeExact(p, param, size, value, sizeRet); } catch (Throwable t) { throw wrap(t); }
    }

    static int getDeviceIDs(MemorySegment p, long type, int n, MemorySegment out, MemorySegment count) {
        try { return (int) getDeviceIDs.invokeExact(p, type, n, out, count); } catch (Throwable t) { throw wrap(t); }
    }

    static int getDeviceInfo(MemorySegment d, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) getDeviceInfo.invokeExact(d, param, size, value, sizeRet); } catch (Throwable t) { throw wrap(t); }
    }

    static MemorySegment createContext(MemorySegment props, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocateFrom(ADDRESS, device), err = a.allocate(JAVA_INT);
            MemorySegment ctx = (MemorySegment) createContext.invokeExact(props, 1, devs, MemorySegment.NULL, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateContext");
            return ctx;
        } catch (Throwable t) { throw wrap(t); }
    }

    static MemorySegment createCommandQueue(MemorySegment ctx, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment q = (MemorySegment) createCommandQueue.invokeExact(ctx, device, 0L, err);
            check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
            return q;
        } catch (Throwable t) { throw wrap(t); }
    }

    static MemorySegment createBuffer(MemorySegment ctx, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment m = (MemorySegment) createBuffer.invokeExact(ctx, CL_MEM_READ_WRITE, bytes, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateBuffer(" + bytes + " bytes)");
            return m;
        } catch (Throwable t) { throw wrap(t); }
    }

    static void write(MemorySegment q, MemorySegment mem, long offset, long bytes, MemorySegment src) {
        int rc;
        try { rc = (int) enqueueWriteBuffer.invokeExact(q, mem, 1, offset, bytes, src, 0, MemorySegment.NULL, MemorySegment.NULL); }
        catch (Throwable t) { throw wrap(t); }
        check(rc, "clEnqueueWriteBuffer");
    }

    static void read(MemorySegment q, MemorySegment mem, long offset, long bytes, MemorySegment dst) {
        int rc;
        try { rc = (int) enqueueReadBuffer.invokeExact(q, mem, 1, offset, bytes, dst, 0, MemorySegment.NULL, MemorySegment.NULL); }
        catch (Throwable t) { throw wrap(t); }
        check(rc, "clEnqueueReadBuffer");
    }

    static void fill(MemorySegment q, MemorySegment mem, MemorySegment pattern, long patternBytes, long offset, long bytes) {
        int rc;
        try { rc = (int) enqueueFillBuffer.invokeExact(q, mem, pattern, patternBytes, offset, bytes, 0, MemorySegment.NULL, MemorySegment.NULL); }
        catch (Throwable t) { throw wrap(t); }
        check(rc, "clEnqueueFillBuffer");
    }

    static void copy(MemorySegment q, MemorySegment src, MemorySegment dst, long srcOff, long dstOff, long bytes) {
        int rc;
        try { rc = (int) enqueueCopyBuffer.invokeExact(q, src, dst, srcOff, dstOff, bytes, 0, MemorySegment.NULL, MemorySegment.NULL); }
        catch (Throwable t) { throw wrap(t); }
        check(rc, "clEnqueueCopyBuffer");
    }

    static MemorySegment createProgram(MemorySegment ctx, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(source), strings = a.allocateFrom(ADDRESS, src), err = a.allocate(JAVA_INT);
            MemorySegment p = (MemorySegment) createProgramWithSource.invokeExact(ctx, 1, strings, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithSource");
            return p;
        } catch (Throwable t) { throw wrap(t); }
    }

    /** Returns the status code (the caller reads the build log on failure). */
    static int build(MemorySegment program, MemorySegment device, String options) {
        try (Arena a = Arena.ofConfined()) {
            return (int) buildProgram.invokeExact(program, 1, a.allocateFrom(ADDRESS, device), a.allocateFrom(options),
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) { throw wrap(t); }
    }

    static String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size), "build log");
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n));
            check((int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL), "build log");
            return buf.getString(0).trim();
        } catch (Throwable t) { throw wrap(t); }
    }

    static final int CL_PROGRAM_BINARY_SIZES = 0x1165, CL_PROGRAM_BINARIES = 0x1166;

    /** The program's device binary (PTX text on NVIDIA) for a single-device program. */
    static byte[] binary(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getProgramInfo.invokeExact(program, CL_PROGRAM_BINARY_SIZES, 8L, size, MemorySegment.NULL), "binary size");
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n)), ptrs = a.allocateFrom(ADDRESS, buf);
            check((int) getProgramInfo.invokeExact(program, CL_PROGRAM_BINARIES, ADDRESS.byteSize(), ptrs, MemorySegment.NULL), "binary");
            return buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (Throwable t) { throw wrap(t); }
    }

    static MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = (MemorySegment) createKernel.invokeExact(program, a.allocateFrom(name), err);
            check(err.get(JAVA_INT, 0), "clCreateKernel(" + name + ")");
            return k;
        } catch (Throwable t) { throw wrap(t); }
    }

    static void setArg(MemorySegment kernel, int index, long size, MemorySegment value, String what) {
        int rc;
        try { rc = (int) setKernelArg.invokeExact(kernel, index, size, value); } catch (Throwable t) { throw wrap(t); }
        check(rc, "clSetKernelArg(" + what + ")");
    }

    static void ndRange(MemorySegment q, MemorySegment kernel, long[] global, long[] local, String what) {
        int rc;
        try (Arena a = Arena.ofConfined()) {
            rc = (int) enqueueNDRangeKernel.invokeExact(q, kernel, global.length, MemorySegment.NULL,
                    a.allocateFrom(JAVA_LONG, global), a.allocateFrom(JAVA_LONG, local), 0, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) { throw wrap(t); }
        check(rc, "clEnqueueNDRangeKernel(" + what + ")");
    }

    static void finish(MemorySegment q) {
        int rc;
        try { rc = (int) finish.invokeExact(q); } catch (Throwable t) { throw wrap(t); }
        check(rc, "clFinish");
    }

    static void release(MethodHandle h, MemorySegment handle) {
        try { int ignored = (int) h.invokeExact(handle); } catch (Throwable t) { throw wrap(t); }
    }

    static void releaseMem(MemorySegment m) { release(releaseMemObject, m); }
    static void releaseKernel(MemorySegment k) { release(releaseKernel, k); }
    static void releaseProgram(MemorySegment p) { release(releaseProgram, p); }
    static void releaseQueue(MemorySegment q) { release(releaseCommandQueue, q); }
    static void releaseContext(MemorySegment c) { release(releaseContext, c); }
}
