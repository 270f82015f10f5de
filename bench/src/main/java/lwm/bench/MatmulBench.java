package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import lwm.kernels.VectorKernels;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;

/**
 * {@code ./lwm bench matmul [--m 2048 --n 2048 --k 2048 --threads N --reps 5 --python python3 --openblas-core NAME]}:
 * f32 C = A . B with {@link VectorKernels} against numpy's {@code a @ b} (its BLAS, same shape, same
 * thread count) in the same run. The figure is the best of the repetitions (the machine is shared;
 * medians are in the JSON too). OpenBLAS picks its kernel by CPU model and may choose an AVX2 one on a CPU it
 * does not know (Zen 5 gets "Haswell"); {@code --openblas-core SkylakeX} forces its AVX-512 kernel for a stronger peer.
 */
public final class MatmulBench implements Workload {
    public String name() { return "matmul"; }

    public String summary() { return "f32 matmul GFLOP/s, VectorKernels vs numpy (--m --n --k --threads --reps --python)"; }

    public BenchResult run(Map<String, String> options, PrintStream out) throws Exception {
        BenchOptions o = new BenchOptions(options, Set.of("m", "n", "k", "threads", "reps", "python", "openblas-core"));
        int m = o.positive("m", 2048), n = o.positive("n", 2048), k = o.positive("k", 2048);
        int threads = o.positive("threads", Runtime.getRuntime().availableProcessors()), reps = o.positive("reps", 5);
        String python = o.str("python", "python3");
        double flop = 2.0 * m * n * k;

        SplittableRandom r = new SplittableRandom(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
        double[] times = new double[reps];
        double load0 = PythonPeer.loadAverage();
        try (VectorKernels kern = new VectorKernels(threads)) {
            // JIT warm-up: the Vector API is only fast once C2 has compiled the micro-kernel (interpreted, every
            // vector op allocates), so run a 256^3 product for a second, then the real shape once, untimed
            warmUp(kern);
            kern.matmul(a, 0, b, 0, c, 0, m, n, k, false);
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                kern.matmul(a, 0, b, 0, c, 0, m, n, k, false);
                times[i] = (System.nanoTime() - t) / 1e9;
            }
        }
        verify(a, b, c, m, n, k);
        Arrays.sort(times);
        String core = o.str("openblas-core", null);
        JsonNode peer = PythonPeer.run(python, "matmul_peer.py", threads, core == null ? Map.of() : Map.of("OPENBLAS_CORETYPE", core), 1800,
                "" + m, "" + n, "" + k, "" + reps);
        double load1 = PythonPeer.loadAverage();
        double javaBest = flop / times[0] / 1e9, javaMed = flop / times[reps / 2] / 1e9;
        double peerBest = flop / peer.get("best_s").asDouble() / 1e9, peerMed = flop / peer.get("median_s").asDouble() / 1e9;
        String peerName = "numpy " + peer.get("numpy").asText() + " (" + peer.get("blas").asText()
                + (peer.has("openblas_core") ? ", " + peer.get("openblas_core").asText() + " kernel" : "") + ")";

        out.printf("matmul f32 %d x %d x %d, %d thread(s), best of %d; load average %.2f -> %.2f (shared machine)%n", m, n, k, threads, reps, load0, load1);
        out.printf("%-60s %12s %12s %14s %14s%n", "implementation", "best ms", "median ms", "GFLOP/s best", "GFLOP/s median");
        out.printf("%-60s %12.2f %12.2f %14.1f %14.1f%n", "java VectorKernels", times[0] * 1e3, times[reps / 2] * 1e3, javaBest, javaMed);
        out.printf("%-60s %12.2f %12.2f %14.1f %14.1f%n", peerName, peer.get("best_s").asDouble() * 1e3, peer.get("median_s").asDouble() * 1e3, peerBest, peerMed);
        out.printf("ratio java / numpy: %.2f (best), %.2f (median)%n", javaBest / peerBest, javaMed / peerMed);
        return new BenchResult("matmul", javaBest, peerBest, "GFLOP/s")
                .with("m", m).with("n", n).with("k", k).with("threads", threads).with("reps", reps)
                .with("java_median", javaMed).with("peer_median", peerMed).with("ratio_median", javaMed / peerMed)
                .with("peer_impl", peerName).with("load_before", load0).with("load_after", load1);
    }

    static void warmUp(VectorKernels kern) {
        int w = 256;
        float[] x = new float[w * w], y = new float[w * w], z = new float[w * w];
        java.util.Arrays.fill(x, 0.5f);
        java.util.Arrays.fill(y, 0.25f);
        long until = System.nanoTime() + 1_000_000_000L;
        for (int i = 0; i < 20 || System.nanoTime() < until; i++) kern.matmul(x, 0, y, 0, z, 0, w, w, w, false);
    }

    /** A benchmark of a wrong product is worthless: spot-check entries against double dot products. */
    static void verify(float[] a, float[] b, float[] c, int m, int n, int k) {
        SplittableRandom r = new SplittableRandom(7);
        for (int t = 0; t < 16; t++) {
            int i = r.nextInt(m), j = r.nextInt(n);
            double s = 0;
            for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
            if (Math.abs(s - c[i * n + j]) > 1e-4 * Math.abs(s) + 1e-4)
                throw new IllegalStateException("matmul result wrong at [" + i + "," + j + "]: " + c[i * n + j] + " vs " + s);
        }
    }
}
