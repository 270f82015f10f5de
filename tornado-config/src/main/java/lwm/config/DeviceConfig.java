package lwm.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which accelerator the kernels run on. Resolution order: an explicit {@code --device} value, the
 * {@code LWM_DEVICE} environment variable, the JSON file named by {@code LWM_DEVICE_CONFIG}, and
 * finally the embedded {@code tornado-config/device.json}.
 *
 * <p>{@code --device} accepts {@code cpu}, {@code opencl:N} where N is the index printed by
 * {@code ./lwm devices}, or {@code opencl:N,M,...}: one device per rank, rank r taking the (r mod count)-th
 * index, so a ring over a machine with several GPUs puts one rank on each ({@link #forRank}).
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record DeviceConfig(String backend, int threads, OpenCl opencl) {

    /** OpenCL selection; {@code allowFallback=false} makes any Aparapi fallback to Java threads an error. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record OpenCl(int device, boolean allowFallback, java.util.List<Integer> perRank) {
        public OpenCl {
            if (device < 0) throw new IllegalArgumentException("device config: field 'opencl.device' must be >= 0, got " + device);
            if (perRank != null) {
                if (perRank.isEmpty()) throw new IllegalArgumentException("device config: field 'opencl.perRank' is empty");
                for (Integer d : perRank)
                    if (d == null || d < 0) throw new IllegalArgumentException("device config: field 'opencl.perRank' holds " + d + "; indices are >= 0");
                perRank = java.util.List.copyOf(perRank);
            }
        }

        public OpenCl(int device, boolean allowFallback) { this(device, allowFallback, null); }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public DeviceConfig {
        if (backend == null) backend = "cpu";
        if (!backend.equals("cpu") && !backend.equals("opencl"))
            throw new IllegalArgumentException("device config: field 'backend' must be \"cpu\" or \"opencl\", got \"" + backend + "\"");
        if (threads < 0) throw new IllegalArgumentException("device config: field 'threads' must be >= 0 (0 = all cores), got " + threads);
        if (opencl == null) opencl = new OpenCl(0, false);
    }

    /**
     * The configuration rank {@code rank} runs on: with a per-rank device list, the (rank mod count)-th entry;
     * otherwise this configuration (every rank on the same device).
     */
    public DeviceConfig forRank(int rank) {
        if (rank < 0) throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        if (isCpu() || opencl.perRank() == null) return this;
        int d = opencl.perRank().get(rank % opencl.perRank().size());
        return new DeviceConfig(backend, threads, new OpenCl(d, opencl.allowFallback()));
    }

    public boolean isCpu() { return backend.equals("cpu"); }

    /** Worker threads for the CPU kernels: the configured number, or every available core. */
    public int cpuThreads() { return threads > 0 ? threads : Runtime.getRuntime().availableProcessors(); }

    /** Parses {@code cpu} or {@code opencl:N}; the error names the flag and the value. */
    public DeviceConfig withDevice(String spec) {
        if (spec == null || spec.isBlank()) return this;
        String s = spec.trim();
        if (s.equals("cpu")) return new DeviceConfig("cpu", threads, opencl);
        if (s.startsWith("opencl")) {
            String idx = s.equals("opencl") ? "0" : s.startsWith("opencl:") ? s.substring(7) : "";
            try {
                java.util.List<Integer> list = new java.util.ArrayList<>();
                for (String part : idx.split(",", -1)) {
                    int d = Integer.parseInt(part.trim());
                    if (d < 0) throw new NumberFormatException();
                    list.add(d);
                }
                return new DeviceConfig("opencl", threads,
                        new OpenCl(list.get(0), opencl.allowFallback(), list.size() > 1 ? list : null));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("--device: expected 'cpu', 'opencl:N' or 'opencl:N,M,...' (one per rank), got '" + spec + "'");
    }

    public static DeviceConfig resolve(String deviceFlag) {
        DeviceConfig base;
        String file = System.getenv("LWM_DEVICE_CONFIG");
        try {
            if (file != null && !file.isBlank()) {
                Path p = Path.of(file);
                if (!Files.isRegularFile(p)) throw new IllegalArgumentException("LWM_DEVICE_CONFIG: no such file " + p);
                base = parse(Files.readAllBytes(p), p.toString());
            } else {
                try (InputStream in = DeviceConfig.class.getResourceAsStream("/lwm/config/device.json")) {
                    base = in == null ? new DeviceConfig("cpu", 0, null) : parse(in.readAllBytes(), "tornado-config/device.json");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("device config: " + e.getMessage());
        }
        String env = System.getenv("LWM_DEVICE");
        if (deviceFlag == null && env != null) deviceFlag = env;
        return base.withDevice(deviceFlag);
    }

    static DeviceConfig parse(byte[] json, String source) {
        try {
            return JSON.readValue(json, DeviceConfig.class);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException(source + ": " + msg);
        }
    }
}
