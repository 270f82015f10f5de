package lwm.kernels;

import lwm.config.JvmFlags;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static lwm.kernels.Check.ints;
import static lwm.kernels.Check.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link VectorKernels} must give the same bits every time for the same inputs, or interrupted training cannot
 * resume bit for bit. Checked for every kernel on inputs that hit vector bodies, loop tails and the parallel
 * paths: repeated calls, before and after the JIT has compiled the kernels, from several callers sharing one
 * pool, with 1, 2 and 3 worker threads (the results do not even depend on the thread count), and against a
 * child JVM restricted to C1, where no Vector API intrinsic is ever used (the interpreter's arithmetic).
 */
class DeterminismTest {
    static final int REPEATS = 5;
    static final int WARMUP_ROUNDS = 40;

    /** Every kernel on fixed random inputs (a pure function of the seed), outputs concatenated. */
    static Map<String, Function<Kernels, float[]>> cases(long seed, Arena arena) {
        Map<String, Function<Kernels, float[]>> c = new LinkedHashMap<>();
        // a product above Gemm.SERIAL_MNK so it is split over the workers, with ragged edges; accumulate
        int m = 67, n = 131, k = 129;
        c.put("matmul", K -> { SplittableRandom r = new SplittableRandom(seed); float[] a = random(r, m * k), b = random(r, k * n), o = random(r, m * n);
            K.matmul(a, 0, b, 0, o, 0, m, n, k, true); return o; });
        c.put("matmulNT", K -> { SplittableRandom r = new SplittableRandom(seed + 1); float[] a = random(r, m * k), b = random(r, n * k), o = random(r, m * n);
            K.matmulNT(a, 0, b, 0, o, 0, m, n, k, true); return o; });
        c.put("matmulTN", K -> { SplittableRandom r = new SplittableRandom(seed + 2); float[] a = random(r, k * m), b = random(r, k * n), o = random(r, m * n);
            K.matmulTN(a, 0, b, 0, o, 0, m, n, k, true); return o; });
        c.put("batchedMatmul", K -> { SplittableRandom r = new SplittableRandom(seed + 3); float[] a = random(r, 7 * 17 * 33), b = random(r, 7 * 33 * 19), o = new float[7 * 17 * 19];
            K.batchedMatmul(a, 0, 17 * 33, b, 0, 33 * 19, o, 0, 17 * 19, 7, 17, 19, 33); return o; });
        for (DType type : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            Tensor w = Check.tensor(arena, type, random(new SplittableRandom(seed + 4), 67 * 131), 67, 131);
            for (int rows : new int[]{3, LinearKernel.GEMM_ROWS + 7})
                c.put("linear " + type + " rows=" + rows, K -> { float[] x = random(new SplittableRandom(seed + 5), rows * 131), y = new float[rows * 67];
                    K.linear(x, 0, w, y, 0, rows, 67, 131); return y; });
        }
        Tensor nw = Check.tensor(arena, DType.BF16, random(new SplittableRandom(seed + 6), 131), 131);
        c.put("rmsNorm", K -> { float[] x = random(new SplittableRandom(seed + 7), 37 * 131), o = new float[37 * 131];
            K.rmsNorm(x, 0, nw, o, 0, 37, 131, 1e-5f); return o; });
        c.put("rmsNormBackward", K -> { SplittableRandom r = new SplittableRandom(seed + 8);
            float[] x = random(r, 37 * 131), w = random(r, 131), dy = random(r, 37 * 131), dx = new float[37 * 131], dw = random(r, 131);
            K.rmsNormBackward(x, 0, w, dy, 0, dx, 0, dw, 37, 131, 1e-5f); return concat(dx, dw); });
        c.put("rope", K -> { float[] x = random(new SplittableRandom(seed + 9), 13 * 3 * 40); int[] pos = ints(new SplittableRandom(seed + 10), 13, 5000);
            K.rope(x, 0, 13, 3, 40, pos, 0, 10000.0, RopeStyle.ROTATE_HALF, false);
            K.rope(x, 0, 13, 3, 40, pos, 0, 10000.0, RopeStyle.INTERLEAVED, true); return x; });
        c.put("softmax", K -> { float[] x = random(new SplittableRandom(seed + 11), 19 * 1003, 8); K.softmax(x, 0, 19, 1003); return x; });
        // 40005 values cross the row kernels' chunk size, so chunk edges (which follow the thread count) fall mid-vector
        c.put("swiglu", K -> { SplittableRandom r = new SplittableRandom(seed + 12); float[] g = random(r, 40005, 6), u = random(r, 40005), o = new float[40005];
            K.swiglu(g, 0, u, 0, o, 0, 40005); return o; });
        c.put("swigluBackward", K -> { SplittableRandom r = new SplittableRandom(seed + 13);
            float[] g = random(r, 40005, 6), u = random(r, 40005), d = random(r, 40005), dg = new float[40005], du = new float[40005];
            K.swigluBackward(g, 0, u, 0, d, 0, dg, du, 40005); return concat(dg, du); });
        c.put("crossEntropy", K -> { SplittableRandom r = new SplittableRandom(seed + 14);
            int rows = 9, vocab = 3001; float[] logits = random(r, rows * vocab, 10), w = random(r, rows);
            int[] t = ints(r, rows, vocab); t[4] = -1;
            float[] nll = new float[rows], lse = new float[rows], dl = new float[rows * vocab];
            K.crossEntropy(logits, 0, rows, vocab, t, 0, nll, lse, dl, w); return concat(nll, lse, dl); });
        c.put("attention", K -> attention(K, seed + 15));
        return c;
    }

    /** Forward, delta and backward of causal attention over two packed segments, GQA, blocks that do not divide the tokens. */
    static float[] attention(Kernels K, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int T = 77, H = 4, Hk = 2, D = 36;
        float[] q = random(r, T * H * D, 2), k = random(r, T * Hk * D, 2), v = random(r, T * Hk * D), dOut = random(r, T * H * D);
        int[] pos = new int[T], seg = new int[T];
        for (int i = 0; i < T; i++) { seg[i] = i < 30 ? 0 : 1; pos[i] = i < 30 ? i : i - 30; }
        float[] out = new float[T * H * D], lse = new float[T * H], delta = new float[T * H];
        float[] dq = random(r, T * H * D), dk = random(r, T * Hk * D), dv = random(r, T * Hk * D);
        AttentionArgs a = new AttentionArgs(q, 0, k, 0, v, 0, out, 0, lse, 0, T, T, H, Hk, D, pos, pos, seg, seg, true,
                (float) (1 / Math.sqrt(D)), 16, 24);
        K.attentionForward(a);
        K.attentionDelta(out, dOut, delta, T, H, D);
        K.attentionBackward(a, dOut, delta, dq, dk, dv);
        return concat(out, lse, delta, dq, dk, dv);
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] all = new float[n];
        int o = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, all, o, p.length); o += p.length; }
        return all;
    }

    /** Index of the first element whose bits differ, or -1. */
    static int firstDifference(float[] a, float[] b) {
        if (a.length != b.length) return 0;
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) return i;
        return -1;
    }

    static void assertSameBits(String what, long seed, float[] expect, float[] got) {
        int i = firstDifference(expect, got);
        if (i >= 0) fail(what + " (seed " + seed + "): differs at " + i + ": " + expect[i] + " vs " + got[i]);
    }

    static long digest(float[] x) {
        long h = 1125899906842597L;
        for (float f : x) h = 31 * h + Float.floatToRawIntBits(f);
        return h;
    }

    @Test
    void everyKernelRepeatsItsBitsColdWarmConcurrentAndForAnyThreadCount() throws Exception {
        long seed = Check.seed();
        try (Arena arena = Arena.ofShared()) {
            Map<String, Function<Kernels, float[]>> cases = cases(seed, arena);
            Map<String, float[]> first = new LinkedHashMap<>();
            for (int threads : new int[]{1, 2, 3}) {
                try (VectorKernels vk = new VectorKernels(threads)) {
                    String who = vk.name();
                    Map<String, float[]> ref = new LinkedHashMap<>();
                    // the first calls of this JVM run interpreted/C1 (unless another test warmed the kernels up first)
                    for (var e : cases.entrySet()) ref.put(e.getKey(), e.getValue().apply(vk));
                    for (int rep = 1; rep < REPEATS; rep++)
                        for (var e : cases.entrySet()) assertSameBits(e.getKey() + " " + who + " repeat " + rep, seed, ref.get(e.getKey()), e.getValue().apply(vk));
                    if (threads == 1)
                        for (int round = 0; round < WARMUP_ROUNDS; round++) for (var e : cases.values()) e.apply(vk);
                    for (var e : cases.entrySet()) assertSameBits(e.getKey() + " " + who + " after warm-up", seed, ref.get(e.getKey()), e.getValue().apply(vk));
                    // three callers share the pool at once: tasks interleave and any worker may run any chunk
                    ExecutorService callers = Executors.newFixedThreadPool(3);
                    try {
                        List<Future<?>> fs = new ArrayList<>();
                        for (int c = 0; c < 3; c++)
                            fs.add(callers.submit(() -> {
                                for (int rep = 0; rep < 2; rep++)
                                    for (var e : cases.entrySet())
                                        assertSameBits(e.getKey() + " " + who + " concurrent", seed, ref.get(e.getKey()), e.getValue().apply(vk));
                                return null;
                            }));
                        for (Future<?> f : fs) f.get();
                    } finally {
                        callers.shutdown();
                    }
                    if (first.isEmpty()) first.putAll(ref);
                    else for (var e : ref.entrySet()) assertSameBits(e.getKey() + " " + who + " vs 1 thread", seed, first.get(e.getKey()), e.getValue());
                }
            }
            // the same computation in a JVM that never compiles beyond C1 (plain Java arithmetic, no vector intrinsics),
            // and in one where C2 compiles every kernel after a few calls, synchronously, before the digests are taken
            Map<String, Long> c1 = childDigests(seed, List.of("-XX:TieredStopAtLevel=1"), 0);
            Map<String, Long> c2 = childDigests(seed, List.of("-XX:-TieredCompilation", "-XX:CompileThreshold=100", "-XX:-BackgroundCompilation"), 8);
            for (var e : first.entrySet()) {
                assertEquals(digest(e.getValue()), c1.get(e.getKey()), e.getKey() + ": C1-only JVM gave other bits (seed " + seed + ")");
                assertEquals(digest(e.getValue()), c2.get(e.getKey()), e.getKey() + ": C2-compiled JVM gave other bits (seed " + seed + ")");
            }
        }
    }

    private static Map<String, Long> childDigests(long seed, List<String> jit, int warmRounds) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JvmFlags.flags());
        cmd.add("-Xmx512m");
        cmd.addAll(jit);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DeterminismTest.class.getName());
        cmd.add(Long.toString(seed));
        cmd.add(Integer.toString(warmRounds));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<String, Long> out = new LinkedHashMap<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                log.append(line).append('\n');
                int tab = line.lastIndexOf('\t');
                if (line.startsWith("digest\t")) out.put(line.substring(7, tab), Long.parseLong(line.substring(tab + 1)));
            }
        }
        int rc = p.waitFor();
        if (rc != 0) fail("child JVM exited with " + rc + ":\n" + log);
        return out;
    }

    /** Child JVM entry: runs every case {@code args[1]} times, then prints one digest per case (two worker threads). */
    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int warmRounds = Integer.parseInt(args[1]);
        try (Arena arena = Arena.ofShared(); VectorKernels vk = new VectorKernels(2)) {
            var cases = cases(seed, arena);
            for (int round = 0; round < warmRounds; round++) for (var c : cases.values()) c.apply(vk);
            for (var e : cases.entrySet()) System.out.println("digest\t" + e.getKey() + "\t" + digest(e.getValue().apply(vk)));
        }
    }
}
