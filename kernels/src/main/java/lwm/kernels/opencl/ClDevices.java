package lwm.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static lwm.kernels.opencl.Cl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Enumerates the OpenCL platforms and devices of this machine through the ICD loader. */
public final class ClDevices {
    private ClDevices() {}

    /**
     * Every device of every platform, numbered as {@code opencl:N}. Throws {@link OpenClException} when no
     * OpenCL runtime is installed or no platform is registered, so callers never mistake "no OpenCL"
     * for "no devices".
     */
    public static List<ClDevice> list() {
        Cl.requireRuntime();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int rc = getPlatformIDs(0, MemorySegment.NULL, n);
            if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && n.get(JAVA_INT, 0) == 0))
                throw new OpenClException("OpenCL: no platform registered (install an ICD such as pocl-opencl-icd; see /etc/OpenCL/vendors)", rc);
            check(rc, "clGetPlatformIDs");
            int np = n.get(JAVA_INT, 0);
            MemorySegment platforms = a.allocate(ADDRESS, np);
            check(getPlatformIDs(np, platforms, MemorySegment.NULL), "clGetPlatformIDs");
            List<ClDevice> out = new ArrayList<>();
            for (int pi = 0; pi < np; pi++) {
                MemorySegment p = platforms.getAtIndex(ADDRESS, pi);
                String pname = platformString(p, CL_PLATFORM_NAME);
                int r = getDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
                if (r == CL_DEVICE_NOT_FOUND) continue;
                check(r, "clGetDeviceIDs");
                int nd = n.get(JAVA_INT, 0);
                MemorySegment devs = a.allocate(ADDRESS, nd);
                check(getDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd, devs, MemorySegment.NULL), "clGetDeviceIDs");
                for (int di = 0; di < nd; di++) {
                    MemorySegment d = devs.getAtIndex(ADDRESS, di);
                    long type = deviceLong(d, CL_DEVICE_TYPE);
                    String t = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU"
                            : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "other";
                    out.add(new ClDevice(out.size(), pname, deviceString(d, CL_DEVICE_NAME), t, deviceString(d, CL_DEVICE_VERSION),
                            deviceInt(d, CL_DEVICE_MAX_COMPUTE_UNITS), deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE),
                            deviceLong(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceLong(d, CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(d, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                            deviceLong(d, CL_DEVICE_DOUBLE_FP_CONFIG) != 0, p, d));
                }
            }
            if (out.isEmpty()) throw new OpenClException("OpenCL: " + np + " platform(s) registered but no device found");
            return out;
        }
    }

    /** The device with index N, or an error that lists what exists. */
    public static ClDevice get(int index) {
        List<ClDevice> all = list();
        if (index < 0 || index >= all.size())
            throw new OpenClException("OpenCL device opencl:" + index + " does not exist; this machine has " + all.size()
                    + " (opencl:0 to opencl:" + (all.size() - 1) + ", see ./lwm devices)");
        return all.get(index);
    }

    /** The first device whose "platform / name" contains the text (case-insensitive); for scripts on mixed machines. */
    public static ClDevice find(String text) {
        String t = text.toLowerCase();
        for (ClDevice d : list())
            if ((d.platform() + " / " + d.name()).toLowerCase().contains(t)) return d;
        throw new OpenClException("no OpenCL device matches '" + text + "' (see ./lwm devices)");
    }

    static String platformString(MemorySegment p, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check(getPlatformInfo(p, param, 0, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check(getPlatformInfo(p, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetPlatformInfo");
            return buf.getString(0).trim();
        }
    }

    static String deviceString(MemorySegment d, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check(getDeviceInfo(d, param, 0, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check(getDeviceInfo(d, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetDeviceInfo");
            return buf.getString(0).trim();
        }
    }

    /** cl_ulong, size_t and bitfield values (all 64-bit here). */
    static long deviceLong(MemorySegment d, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check(getDeviceInfo(d, param, 8, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(JAVA_LONG, 0);
        }
    }

    static int deviceInt(MemorySegment d, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(getDeviceInfo(d, param, 4, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(JAVA_INT, 0);
        }
    }
}
