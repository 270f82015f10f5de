package lwm.kernels.opencl;

import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device with its index N in {@code --device opencl:N}: devices are numbered in platform
 * order, then in each platform's device order, which is what {@code ./lwm devices} prints.
 * {@code maxAllocBytes} is the largest single buffer the device accepts (often a quarter of its memory).
 */
public record ClDevice(int index, String platform, String name, String type, String version, int computeUnits,
                       long globalMemBytes, long maxAllocBytes, long localMemBytes, long maxWorkGroupSize, boolean fp64,
                       MemorySegment platformId, MemorySegment deviceId) {

    /** One line for listings: {@code opencl:1   NVIDIA CUDA / NVIDIA H200 (GPU, 132 CUs, 139.8 GiB, 48 KiB local, OpenCL 3.0 CUDA)}. */
    public String describe() {
        return String.format("opencl:%-3d %s / %s (%s, %d CUs, %.1f GiB, %d KiB local, %s)", index, platform, name, type,
                computeUnits, globalMemBytes / (double) (1L << 30), localMemBytes >> 10, version);
    }
}
