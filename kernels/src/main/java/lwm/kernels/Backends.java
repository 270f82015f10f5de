package lwm.kernels;

import lwm.config.DeviceConfig;

/** Picks the {@link Kernels} implementation a {@link DeviceConfig} asks for; never falls back silently. */
public final class Backends {
    private Backends() {}

    public static Kernels create(DeviceConfig config) {
        return switch (config.backend()) {
            case "cpu" -> new VectorKernels(config.cpuThreads());
            case "opencl" -> throw new UnsupportedOperationException(
                    "OpenCL backend not built (device opencl:" + config.opencl().device() + " requested); use --device cpu");
            default -> throw new IllegalArgumentException("device config: unknown backend '" + config.backend() + "'");
        };
    }
}
