package lwm.cli;

import java.util.List;
import lwm.config.DeviceConfig;
import lwm.kernels.opencl.ClDevice;
import lwm.kernels.opencl.ClDevices;
import lwm.kernels.opencl.OpenClException;
import lwm.kernels.opencl.OpenClKernels;

/**
 * Lists the compute devices: the CPU and every OpenCL device with the index N that {@code --device opencl:N}
 * takes, and the configured one. {@code --probe} also compiles every kernel for each OpenCL device, which
 * is the quickest way to learn whether a device can run the backend.
 */
final class DevicesCommand implements Command {
    public String name() { return "devices"; }
    public String summary() { return "list compute devices (cpu, opencl:N) and the configured one; --probe compiles the kernels on each"; }

    public int run(Args args) {
        DeviceConfig cfg = DeviceConfig.resolve(args.str("device", null));
        boolean probe = args.flag("probe");
        args.finish();
        System.out.printf("cpu         %d cores, Vector API (%s)%n", Runtime.getRuntime().availableProcessors(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        List<ClDevice> devices = List.of();
        try {
            devices = ClDevices.list();
        } catch (OpenClException e) {
            System.out.println("opencl      unavailable: " + e.getMessage());
        }
        for (ClDevice d : devices) {
            System.out.println(d.describe());
            if (probe) {
                long t0 = System.nanoTime();
                try (OpenClKernels k = new OpenClKernels(d.index())) {
                    System.out.printf("            kernels compile: ok (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
                } catch (OpenClException e) {
                    System.out.println("            kernels compile: FAILED: " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
        }
        String configured = cfg.isCpu() ? "cpu" : "opencl:" + cfg.opencl().device();
        System.out.println("configured: " + configured);
        if (!cfg.isCpu() && cfg.opencl().device() >= devices.size()) {
            System.err.println("lwm devices: the configured device " + configured + " does not exist on this machine");
            return 2;
        }
        return 0;
    }
}
