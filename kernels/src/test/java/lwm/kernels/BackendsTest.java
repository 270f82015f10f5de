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

    /** No silent fallback: asking for OpenCL in a build without it is an error naming the backend. */
    @Test
    void openclIsAnErrorUntilTheBackendExists() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Backends.create(new DeviceConfig("cpu", 0, null).withDevice("opencl:1")));
        assertTrue(e.getMessage().startsWith("OpenCL backend not built"), e.getMessage());
        assertTrue(e.getMessage().contains("opencl:1"), e.getMessage());
    }
}
