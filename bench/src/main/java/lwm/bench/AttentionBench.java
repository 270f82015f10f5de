package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import lwm.kernels.AttentionArgs;
import lwm.kernels.VectorKernels;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;

/**
 * {@code ./lwm bench attention [--seq 2048 --heads 8 --dim 64 --causal true --block-q 128 --block-k 128 --threads N]}:
 * blockwise attention forward ({@link VectorKernels#attentionForward}) against PyTorch's manual
 * softmax(QK^T)V (torch 1.13 has no fused attention) and numpy's, in the same run. Rates count the
 * useful work, 4 S^2 H D flops (halved when causal), for every implementation alike.
 */
public final class AttentionBench implements Workload {
    public String name() { return "attention"; }

    public String summary() { return "attention forward, blockwise VectorKernels vs PyTorch/numpy manual attention (--seq --heads --dim --causal)"; }

    public BenchResult run(Map<String, String> options, PrintStream out) throws Exception {
        BenchOptions o = new BenchOptions(options, Set.of("seq", "heads", "dim", "causal", "block-q", "block-k", "threads", "reps", "python", "torch-python"));
        int seq = o.positive("seq", 2048), heads = o.positive("heads", 8), dim = o.positive("dim", 64);
        boolean causal = o.bool("causal", true);
        int bq = o.positive("block-q", 128), bk = o.positive("block-k", 128);
        int threads = o.positive("threads", Runtime.getRuntime().availableProcessors()), reps = o.positive("reps", 5);
        String python = o.str("python", "python3"), torchPython = o.str("torch-python", "/usr/bin/python3");
        double flop = 4.0 * seq * seq * heads * dim * (causal ? 0.5 : 1.0);

        SplittableRandom r = new SplittableRandom(3);
        int n = seq * heads * dim;
        float[] q = new float[n], k = new float[n], v = new float[n], outBuf = new float[n], lse = new float[seq * heads];
        for (float[] x : new float[][]{q, k, v}) for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble();
        int[] pos = new int[seq];
        for (int i = 0; i < seq; i++) pos[i] = i;
        AttentionArgs args = new AttentionArgs(q, 0, k, 0, v, 0, outBuf, 0, lse, 0, seq, seq, heads, heads, dim, pos, pos, null, null,
                causal, (float) (1 / Math.sqrt(dim)), bq, bk);
        double load0 = PythonPeer.loadAverage();
        double[] times = new double[reps];
        try (VectorKernels kern = new VectorKernels(threads)) {
            // warm-up until C2 has compiled the block kernels: at least 3 calls and 2 seconds
            long until = System.nanoTime() + 2_000_000_000L;
            for (int i = 0; i < 3 || System.nanoTime() < until; i++) kern.attentionForward(args);
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                kern.attentionForward(args);
                times[i] = (System.nanoTime() - t) / 1e9;
            }
        }
        Arrays.sort(times);
        String c = causal ? "1" : "0";
        JsonNode torch = PythonPeer.run(torchPython, "attention_peer.py", threads, 1800, "torch", "" + seq, "" + heads, "" + dim, c, "" + reps, "" + threads);
        JsonNode numpy = PythonPeer.run(python, "attention_peer.py", threads, 1800, "numpy", "" + seq, "" + heads, "" + dim, c, "" + reps, "" + threads);
        double load1 = PythonPeer.loadAverage();

        out.printf("attention forward S=%d, %d heads x %d, %s, f32, %d thread(s), best of %d; load average %.2f -> %.2f (shared machine)%n",
                seq, heads, dim, causal ? "causal" : "non-causal", threads, reps, load0, load1);
        out.printf("%-44s %10s %10s %12s%n", "implementation", "best ms", "median ms", "GFLOP/s best");
        row(out, "java VectorKernels blockwise (" + bq + "x" + bk + ")", times[0], times[reps / 2], flop);
        row(out, torch.get("impl").asText() + " manual attention", torch.get("best_s").asDouble(), torch.get("median_s").asDouble(), flop);
        row(out, numpy.get("impl").asText() + " manual attention", numpy.get("best_s").asDouble(), numpy.get("median_s").asDouble(), flop);
        double javaRate = flop / times[0] / 1e9, torchRate = flop / torch.get("best_s").asDouble() / 1e9, npRate = flop / numpy.get("best_s").asDouble() / 1e9;
        out.printf("ratio java / torch: %.2f, java / numpy: %.2f (best times)%n", javaRate / torchRate, javaRate / npRate);
        return new BenchResult("attention", javaRate, torchRate, "GFLOP/s")
                .with("seq", seq).with("heads", heads).with("dim", dim).with("causal", causal).with("block_q", bq).with("block_k", bk)
                .with("threads", threads).with("java_ms", times[0] * 1e3).with("peer_impl", torch.get("impl").asText())
                .with("numpy", npRate).with("ratio_numpy", javaRate / npRate)
                .with("load_before", load0).with("load_after", load1);
    }

    private static void row(PrintStream out, String name, double best, double median, double flop) {
        out.printf("%-44s %10.2f %10.2f %12.1f%n", name, best * 1e3, median * 1e3, flop / best / 1e9);
    }
}
