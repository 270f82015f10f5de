package lwm.kernels.opencl;

import com.aparapi.Kernel;

/**
 * Base of the OpenCL kernels. Subclasses are plain Java in the TornadoVM-compatible style (flat arrays,
 * index loops, no objects) that Aparapi's code generator translates to OpenCL C; {@link KernelTranslator}
 * then runs them through our own runtime ({@link ClProgram}), never through Aparapi's, so there is no
 * Java-thread-pool fallback to fall into. Fields are the kernel's parameters: arrays become device
 * buffers bound by name at launch, {@code @Local} arrays become local memory of the size they are
 * initialised with, {@code @PrivateMemorySpace} arrays live in registers once their loops are unrolled.
 */
public abstract class ClKernel extends Kernel {

    /**
     * bf16 bit pattern (low 16 bits of {@code bits}) to f32. Written in translatable arithmetic; on the
     * device the translator swaps the body for the single bit cast {@code as_float(bits << 16)}.
     */
    protected final float bf16ToF32(int bits) {
        int e = (bits >> 7) & 0xFF, m = bits & 0x7F;
        float sign = (bits & 0x8000) != 0 ? -1f : 1f;
        if (e == 0xFF) return m == 0 ? sign / 0f : 0f / 0f;
        if (e == 0) return sign * m * pow(2f, -133f);
        return sign * (m + 128) * pow(2f, e - 134f);
    }

    /** IEEE half bit pattern to f32; on the device the body becomes {@code vload_half}. */
    protected final float f16ToF32(int bits) {
        int e = (bits >> 10) & 0x1F, m = bits & 0x3FF;
        float sign = (bits & 0x8000) != 0 ? -1f : 1f;
        if (e == 0x1F) return m == 0 ? sign / 0f : 0f / 0f;
        if (e == 0) return sign * m * pow(2f, -24f);
        return sign * (m + 1024) * pow(2f, e - 25f);
    }
}
