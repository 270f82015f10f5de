package lwm.cli;

import lwm.config.DeviceConfig;

/** Lists the compute devices; the OpenCL backend adds its platforms and devices here. */
final class DevicesCommand implements Command {
    public String name() { return "devices"; }
    public String summary() { return "list compute devices (cpu, opencl:N) and the configured one"; }

    public int run(Args args) {
        DeviceConfig cfg = DeviceConfig.resolve(args.str("device", null));
        args.finish();
        System.out.printf("cpu        %d cores, Vector API (%s)%n", Runtime.getRuntime().availableProcessors(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        System.out.println("configured: " + (cfg.isCpu() ? "cpu" : "opencl:" + cfg.opencl().device()));
        return 0;
    }
}
