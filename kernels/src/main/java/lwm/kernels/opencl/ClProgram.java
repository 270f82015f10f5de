package lwm.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One translated kernel compiled for one device. Arguments are bound by the Java field name they came
 * from; a launch with any argument left unbound is refused, so a stale argument from an earlier launch
 * can never be read by mistake.
 */
public final class ClProgram {
    private final ClContext ctx;
    private final KernelTranslator.Source source;
    private final MemorySegment program;
    private final MemorySegment kernel;
    private final Map<String, Integer> index = new HashMap<>();

    private ClProgram(ClContext ctx, KernelTranslator.Source source, MemorySegment program, MemorySegment kernel) {
        this.ctx = ctx;
        this.source = source;
        this.program = program;
        this.kernel = kernel;
        List<KernelTranslator.Param> ps = source.params();
        for (int i = 0; i < ps.size(); i++) index.put(ps.get(i).name(), i);
    }

    static ClProgram build(ClContext ctx, KernelTranslator.Source src) {
        MemorySegment program = Cl.createProgram(ctx.context, src.code());
        int rc = Cl.build(program, ctx.device().deviceId(), "");
        if (rc != Cl.CL_SUCCESS) {
            String log = Cl.buildLog(program, ctx.device().deviceId());
            Cl.releaseProgram(program);
            throw new OpenClException("OpenCL: kernel " + src.kernelName() + " does not compile for " + ctx.device().name()
                    + ": " + Cl.errorName(rc) + "\n" + log + "\n--- generated source ---\n" + src.code(), rc);
        }
        return new ClProgram(ctx, src, program, Cl.createKernel(program, "run"));
    }

    public String name() { return source.kernelName(); }
    public String code() { return source.code(); }

    /** The compiled device binary as the driver reports it (PTX text on NVIDIA, an ELF or bitcode elsewhere). */
    public byte[] binary() { return Cl.binary(program); }

    public Launch launch() { return new Launch(); }

    void release() {
        Cl.releaseKernel(kernel);
        Cl.releaseProgram(program);
    }

    /** Argument binding for one launch; {@link #run} enqueues it on the context's in-order queue. */
    public final class Launch {
        private final boolean[] set = new boolean[source.params().size()];
        // argument values are copied by clSetKernelArg; an automatic arena also covers launches abandoned midway
        private final Arena arena = Arena.ofAuto();

        private Launch() {
            for (int i = 0; i < set.length; i++) {
                KernelTranslator.Param p = source.params().get(i);
                if (p.kind() == KernelTranslator.Kind.LOCAL) {
                    Cl.setArg(kernel, i, p.localBytes(), MemorySegment.NULL, p.name());
                    set[i] = true;
                } else if (p.name().equals("passid")) {
                    Cl.setArg(kernel, i, 4, arena.allocateFrom(JAVA_INT, 0), p.name());
                    set[i] = true;
                }
            }
        }

        private int param(String name, String expected) {
            Integer i = index.get(name);
            // a field the kernel body never reads is dropped by the translator: binding it is harmless
            if (i == null) return -1;
            KernelTranslator.Param p = source.params().get(i);
            if (!p.clType().equals(expected))
                throw new IllegalArgumentException(name() + "." + name + " is " + p.clType() + ", bound as " + expected);
            set[i] = true;
            return i;
        }

        public Launch buf(String name, ClBuffer b) {
            b.checkOpen();
            String t = switch (b.type()) { case F32 -> "float"; case I32 -> "int"; case I16 -> "short"; };
            int i = param(name, t);
            if (i >= 0) Cl.setArg(kernel, i, ADDRESS.byteSize(), arena.allocateFrom(ADDRESS, b.mem), name);
            return this;
        }

        public Launch i(String name, int v) {
            int i = param(name, "int");
            if (i >= 0) Cl.setArg(kernel, i, 4, arena.allocateFrom(JAVA_INT, v), name);
            return this;
        }

        public Launch f(String name, float v) {
            int i = param(name, "float");
            if (i >= 0) Cl.setArg(kernel, i, 4, arena.allocateFrom(JAVA_FLOAT, v), name);
            return this;
        }

        public Launch d(String name, double v) {
            int i = param(name, "double");
            if (i >= 0) Cl.setArg(kernel, i, 8, arena.allocateFrom(JAVA_DOUBLE, v), name);
            return this;
        }

        /** Enqueues over global (a multiple of local in each dimension) work-items. */
        public void run(long[] global, long[] local) {
            for (int i = 0; i < set.length; i++)
                if (!set[i]) throw new IllegalStateException(name() + ": argument " + source.params().get(i).name() + " not bound");
            for (int d = 0; d < global.length; d++)
                if (global[d] <= 0 || global[d] % local[d] != 0)
                    throw new IllegalArgumentException(name() + ": global size " + global[d] + " not a positive multiple of " + local[d]);
            Cl.ndRange(ctx.queue, kernel, global, local, name());
        }
    }
}
