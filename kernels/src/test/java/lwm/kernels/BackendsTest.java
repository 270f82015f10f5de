package lwm.kernels;

import lwm.config.DeviceConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    @Test
    void cpuGivesVectorKernelsWithTheConfiguredThreads() {
        Kernels k = Backends.create(new DeviceConfig("cpu", 3, null));
        VectorKernels v = assertInstanceOf(VectorKernels.class, k);
        assertEquals(3, v.threads());
        v.close();
        try (VectorKernels all = (VectorKernels) Backends.create(new DeviceConfig("cpu", 0, null))) {
            assertEquals(Runtime.getRuntime().availableProcessors(), all.threads());
        }
    }

    /** opencl:N gives the OpenCL backend on that device; a device that does not exist is an error naming it, never a fallback. */
    @Test
    void openclGivesOpenClKernelsAndAMissingDeviceIsAnError() {
        org.junit.jupiter.api.Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1");
        try (lwm.kernels.opencl.OpenClKernels k = assertInstanceOf(lwm.kernels.opencl.OpenClKernels.class,
                Backends.create(new DeviceConfig("cpu", 0, null).withDevice("opencl:0")))) {
            assertTrue(k.name().startsWith("opencl("), k.name());
        }
        lwm.kernels.opencl.OpenClException e = assertThrows(lwm.kernels.opencl.OpenClException.class,
                () -> Backends.create(new DeviceConfig("cpu", 0, null).withDevice("opencl:99")));
        assertTrue(e.getMessage().contains("opencl:99"), e.getMessage());
    }
}
