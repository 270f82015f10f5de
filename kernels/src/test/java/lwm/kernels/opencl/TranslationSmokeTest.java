package lwm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TranslationSmokeTest {
    @Test
    void everyKernelTranslatesAndCompiles() {
        OpenClKernels k = OpenClTestDevice.kernels();
        for (Class<? extends ClKernel> c : ClOps.KERNELS) {
            ClProgram p = k.ops().context().program(c);
            assertTrue(p.code().contains("__kernel void run("), c.getSimpleName());
        }
        String mm = k.ops().context().program(MatmulKernel.class).code();
        assertTrue(mm.contains("as_float("), "bf16 helper must become a bit cast");
        assertTrue(mm.contains("#pragma unroll"), "register-tile loops must be unrolled");
        if (System.getenv("LWM_DUMP_KERNELS") != null)
            for (Class<? extends ClKernel> c : ClOps.KERNELS) System.out.println(k.ops().context().program(c).code());
    }
}
