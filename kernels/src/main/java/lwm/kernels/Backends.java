package lwm.kernels;

import lwm.config.DeviceConfig;

/** Picks the {@link Kernels} implementation a {@link DeviceConfig} asks for; never falls back silently. */
public final class Backends {
    private Backends() {}

    public static Kernels create(DeviceConfig config) {
        return switch (config.backend()) {
            case "cpu" -> new VectorKernels(config.cpuThreads());
            // compiles every kernel for the device now; any failure throws (lwm.kernels.opencl.OpenClException)
            case "opencl" -> new lwm.kernels.opencl.OpenClKernels(config.opencl().device());
            default -> throw new IllegalArgumentException("device config: unknown backend '" + config.backend() + "'");
        };
    }
}
