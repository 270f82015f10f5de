package lwm.kernels.opencl;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import com.aparapi.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * One OpenCL device opened for use: a context, one in-order queue (so consecutive kernels see each
 * other's writes without events) and the programs built for it. Not thread-safe: one caller at a time.
 */
public final class ClContext implements AutoCloseable {
    private final ClDevice device;
    final MemorySegment context;
    final MemorySegment queue;
    private final Map<Class<?>, ClProgram> programs = new HashMap<>();
    private boolean closed;

    private ClContext(ClDevice device) {
        this.device = device;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment props = a.allocateFrom(JAVA_LONG, Cl.CL_CONTEXT_PLATFORM, device.platformId().address(), 0L);
            this.context = Cl.createContext(props, device.deviceId());
        }
        this.queue = Cl.createCommandQueue(context, device.deviceId());
    }

    /** Opens device {@code opencl:index}. */
    public static ClContext open(int index) { return new ClContext(ClDevices.get(index)); }

    public static ClContext open(ClDevice device) { return new ClContext(device); }

    public ClDevice device() { return device; }

    public ClBuffer alloc(ClBuffer.Type type, long length) { return new ClBuffer(this, type, length); }

    public ClBuffer upload(float[] data) { return alloc(ClBuffer.Type.F32, Math.max(1, data.length)).write(data, 0, 0, data.length); }

    public ClBuffer upload(int[] data) { return alloc(ClBuffer.Type.I32, Math.max(1, data.length)).write(data, 0, 0, data.length); }

    public ClBuffer upload(short[] data) { return alloc(ClBuffer.Type.I16, Math.max(1, data.length)).write(data, 0, 0, data.length); }

    /** The kernel class translated and compiled for this device (once per context); compile errors throw. */
    public ClProgram program(Class<? extends Kernel> kernel) {
        ClProgram p = programs.get(kernel);
        if (p == null) {
            p = ClProgram.build(this, KernelTranslator.translate(kernel));
            programs.put(kernel, p);
        }
        return p;
    }

    /** Waits until every queued command has finished. */
    public void finish() { Cl.finish(queue); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (ClProgram p : programs.values()) p.release();
        programs.clear();
        Cl.releaseQueue(queue);
        Cl.releaseContext(context);
    }
}
