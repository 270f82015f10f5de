package lwm.bench;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.kernels.ScalarKernels;
import lwm.kernels.VectorKernels;
import lwm.ring.Communicator;
import lwm.ring.RankTask;
import lwm.ring.Request;
import lwm.ring.RingAttention;
import lwm.ring.SequenceLayout;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What every rank runs for {@code ./lwm bench ring}: for each configuration the ring forward time, the
 * compute-only time of exactly the same hops without communication (both the max over ranks, best of
 * reps), the ring's K/V hop time without compute (bandwidth), and the bytes one forward allocates.
 * Rank 0 prints one {@code RINGBENCH key=value ...} line per measurement.
 * Args: tokensPerRank heads kvHeads headDim reps sweep(comma list of block sizes) kernels(vector|scalar).
 */
public final class RingBenchTask implements RankTask {

    /** Vector API kernels with this rank's share of the cores (ranks share the machine), or the scalar reference. */
    static Kernels kernels(String which, int ranks) {
        return switch (which) {
            case "vector" -> new VectorKernels(Math.max(1, Runtime.getRuntime().availableProcessors() / ranks));
            case "scalar" -> new ScalarKernels();
            default -> throw new IllegalArgumentException("--kernels must be vector or scalar, got '" + which + "'");
        };
    }

    @Override
    public void run(Communicator world, String[] a) {
        int c = Integer.parseInt(a[0]), h = Integer.parseInt(a[1]), hk = Integer.parseInt(a[2]), d = Integer.parseInt(a[3]);
        int reps = Integer.parseInt(a[4]);
        Kernels k = kernels(a.length > 6 ? a[6] : "vector", world.size());
        if (world.rank() == 0) emit(world, "kernels", "name=" + k.name().replace(' ', '_'));
        List<Config> main = new ArrayList<>();
        for (String[] cfg : new String[][]{{"contiguous", "true"}, {"zigzag", "true"}, {"contiguous", "false"}})
            main.add(new Config(world, k, c, h, hk, d, SequenceLayout.Kind.parse(cfg[0]), Boolean.parseBoolean(cfg[1]), "main"));
        List<Config> sweep = new ArrayList<>();
        if (a.length > 5 && !a[5].isBlank())
            for (String s : a[5].split(","))
                sweep.add(new Config(world, k, Integer.parseInt(s.trim()), h, hk, d, SequenceLayout.Kind.ZIGZAG, true, "sweep"));
        // warm-up (JIT, buffers), then repetitions interleaved across configurations so that drift in
        // the machine's load hits every configuration alike; best of reps per configuration
        for (List<Config> group : List.of(main, sweep)) {
            for (int i = 0; i < 2; i++) for (Config cf : group) cf.once(world);
            for (int i = 0; i < reps; i++)   // rotate which configuration goes first
                for (int j = 0; j < group.size(); j++) group.get((i + j) % group.size()).once(world);
            for (Config cf : group) cf.report(world);
        }
        bandwidth(world, c, hk, d, reps);
    }

    /** One configuration: its data, ring, stand-in hop schedule and best times. */
    private static final class Config {
        final int c, h, d, p;
        final SequenceLayout.Kind kind;
        final boolean causal;
        final String tag;
        final AttentionArgs args;
        final RingAttention ring;
        final int[][] hops;
        double bestRing = Double.MAX_VALUE, bestCompute = Double.MAX_VALUE, kernelInRing;
        long allocated;

        Config(Communicator world, Kernels k, int c, int h, int hk, int d, SequenceLayout.Kind kind, boolean causal, String tag) {
            this.c = c; this.h = h; this.d = d; this.kind = kind; this.causal = causal; this.tag = tag;
            p = world.size();
            int r = world.rank(), s = c * p;
            int[] idx = SequenceLayout.of(kind, r, p).localTokens(s);
            int n = idx.length;
            SplittableRandom rnd = new SplittableRandom(42 + r);
            float[] q = rand(rnd, n * h * d), kk = rand(rnd, n * hk * d), v = rand(rnd, n * hk * d);
            args = new AttentionArgs(q, 0, kk, 0, v, 0, new float[n * h * d], 0, new float[n * h], 0, n, n, h, hk, d, idx, idx, null, null,
                    causal, (float) (1 / Math.sqrt(d)), 128, 128);
            ring = new RingAttention(world, k);
            hops = new int[p][];
            for (int st = 0; st < p; st++) hops[st] = SequenceLayout.of(kind, Math.floorMod(r - st, p), p).localTokens(s);
        }

        void once(Communicator world) {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            world.barrier();
            ring.stats().reset();
            long a0 = mx.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            ring.forward(args);
            double t = (System.nanoTime() - t0) / 1e6;
            allocated = mx.getCurrentThreadAllocatedBytes() - a0;
            double tMax = world.allReduceMax(t);
            double share = world.allReduceMax(ring.stats().computeNanos() / 1e6);
            if (tMax < bestRing) { bestRing = tMax; kernelInRing = share; }
            world.barrier();
            t0 = System.nanoTime();
            ring.computeOnly(args, hops, null);
            bestCompute = Math.min(bestCompute, world.allReduceMax((System.nanoTime() - t0) / 1e6));
        }

        void report(Communicator world) {
            long allocMax = (long) world.allReduceMax(allocated);
            if (world.rank() == 0)
                emit(world, tag, String.format(Locale.ROOT, "P=%d c=%d layout=%s causal=%b ring_ms=%.3f compute_ms=%.3f kernel_in_ring_ms=%.3f alloc_bytes=%d flops=%.0f",
                        p, c, kind.name().toLowerCase(Locale.ROOT), causal, bestRing, bestCompute, kernelInRing, allocMax, flops(kind, causal, c, p, h, d)));
        }
    }

    /** Attention FLOPs of the busiest rank: 4 d per visible (query, key) pair per head. */
    static double flops(SequenceLayout.Kind kind, boolean causal, int c, int p, int h, int d) {
        int s = c * p;
        double worst = 0;
        for (int r = 0; r < p; r++) {
            int[] mine = SequenceLayout.of(kind, r, p).localTokens(s);
            double pairs = 0;
            for (int q : mine) pairs += causal ? q + 1 : s;
            worst = Math.max(worst, pairs);
        }
        return worst * 4.0 * d * h;
    }

    /** One ring hop of a K and a V block of c tokens without compute: the bandwidth the ring sees. */
    private void bandwidth(Communicator world, int c, int hk, int d, int reps) {
        int p = world.size();
        if (p == 1) return;
        int n = c * hk * d, left = Math.floorMod(world.rank() - 1, p), right = (world.rank() + 1) % p;
        float[] k = new float[n], v = new float[n], k2 = new float[n], v2 = new float[n];
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps + 1; i++) {
            world.barrier();
            long t0 = System.nanoTime();
            List<Request> rq = new ArrayList<>();
            rq.add(world.irecv(k2, 0, n, left, 1));
            rq.add(world.irecv(v2, 0, n, left, 2));
            rq.add(world.isend(k, 0, n, right, 1));
            rq.add(world.isend(v, 0, n, right, 2));
            for (Request q : rq) q.await();
            double t = world.allReduceMax((System.nanoTime() - t0) / 1e6);
            if (i > 0) best = Math.min(best, t);
        }
        if (world.rank() == 0)
            emit(world, "hop", String.format(Locale.ROOT, "P=%d c=%d bytes=%d hop_ms=%.3f", p, c, 2L * n * 4, best));
    }

    private static void emit(Communicator world, String tag, String kv) {
        System.out.println("RINGBENCH " + tag + " " + kv);
        System.out.flush();
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
