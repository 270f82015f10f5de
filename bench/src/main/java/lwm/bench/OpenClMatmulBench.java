package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import lwm.kernels.opencl.ClBuffer;
import lwm.kernels.opencl.ClContext;
import lwm.kernels.opencl.ClDevice;
import lwm.kernels.opencl.ClDevices;
import lwm.kernels.opencl.ClOps;

/**
 * {@code ./lwm bench opencl-matmul [--device N | --match TEXT] [--m --n --k 1024] [--layout wide|strided]
 * [--reps 5] [--python python3]}: f32 C = A . B on an OpenCL device with device-resident buffers (kernel
 * time only) against numpy's {@code a @ b} on this machine's CPU in the same run. On a CPU OpenCL device
 * (PoCL) that is a like-for-like comparison; for GPUs the PyTorch/cuBLAS peer is in {@code bench/gpu}.
 */
public final class OpenClMatmulBench implements Workload {
    public String name() { return "opencl-matmul"; }

    public String summary() { return "f32 matmul GFLOP/s on an OpenCL device vs numpy (--device --match --m --n --k --layout --reps --python)"; }

    public BenchResult run(Map<String, String> options, PrintStream out) throws Exception {
        BenchOptions o = new BenchOptions(options, Set.of("device", "match", "m", "n", "k", "layout", "reps", "python"));
        int m = o.positive("m", 1024), n = o.positive("n", 1024), k = o.positive("k", 1024), reps = o.positive("reps", 5);
        String layoutName = o.str("layout", "wide");
        ClOps.Layout layout = switch (layoutName) {
            case "strided" -> ClOps.Layout.STRIDED;
            case "wide" -> ClOps.Layout.WIDE;
            default -> throw new IllegalArgumentException("--layout: expected strided or wide, got '" + layoutName + "'");
        };
        String match = o.str("match", null);
        ClDevice dev = match != null ? ClDevices.find(match) : ClDevices.get(options.containsKey("device") ? Integer.parseInt(o.str("device", "0")) : 0);
        double flop = 2.0 * m * n * k;
        SplittableRandom r = new SplittableRandom(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
        double[] times = new double[reps];
        double load0 = PythonPeer.loadAverage();
        try (ClContext ctx = ClContext.open(dev); ClOps ops = new ClOps(ctx, layout);
             ClBuffer da = ctx.upload(a); ClBuffer db = ctx.upload(b); ClBuffer dc = ctx.alloc(ClBuffer.Type.F32, (long) m * n)) {
            ops.matmul(da, 0, db, 0, dc, 0, m, n, k, false, false, false);
            ctx.finish();
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                ops.matmul(da, 0, db, 0, dc, 0, m, n, k, false, false, false);
                ctx.finish();
                times[i] = (System.nanoTime() - t) / 1e9;
            }
            dc.read(0, c, 0, c.length);
        }
        MatmulBench.verify(a, b, c, m, n, k);
        Arrays.sort(times);
        JsonNode peer = PythonPeer.run(o.str("python", "python3"), "matmul_peer.py", Runtime.getRuntime().availableProcessors(), 1800,
                "" + m, "" + n, "" + k, "" + reps);
        double load1 = PythonPeer.loadAverage();
        double javaBest = flop / times[0] / 1e9, javaMed = flop / times[reps / 2] / 1e9;
        double peerBest = flop / peer.get("best_s").asDouble() / 1e9, peerMed = flop / peer.get("median_s").asDouble() / 1e9;
        String peerName = "numpy " + peer.get("numpy").asText() + " (" + peer.get("blas").asText() + ", CPU)";
        out.printf("matmul f32 %d x %d x %d on %s, layout %s, best of %d; load average %.2f -> %.2f (shared machine)%n",
                m, n, k, dev.describe(), layoutName, reps, load0, load1);
        out.printf("%-40s %12s %12s %14s %14s%n", "implementation", "best ms", "median ms", "GFLOP/s best", "GFLOP/s median");
        out.printf("%-40s %12.2f %12.2f %14.1f %14.1f%n", "java OpenCL (" + layoutName + ")", times[0] * 1e3, times[reps / 2] * 1e3, javaBest, javaMed);
        out.printf("%-40s %12.2f %12.2f %14.1f %14.1f%n", peerName, peer.get("best_s").asDouble() * 1e3, peer.get("median_s").asDouble() * 1e3, peerBest, peerMed);
        out.printf("ratio java / numpy: %.2f (best), %.2f (median)%n", javaBest / peerBest, javaMed / peerMed);
        return new BenchResult("opencl-matmul", javaBest, peerBest, "GFLOP/s")
                .with("m", m).with("n", n).with("k", k).with("reps", reps).with("device", dev.platform() + " / " + dev.name())
                .with("layout", layoutName).with("java_median", javaMed).with("peer_median", peerMed)
                .with("ratio_median", javaMed / peerMed).with("peer_impl", peerName).with("load_before", load0).with("load_after", load1);
    }
}
