package lwm.kernels.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Speed of the OpenCL kernels on one device, device-resident (no transfers timed): f32 matmul n^3 and
 * fused attention forward and forward+backward at [seq, heads, headDim], causal and full. Each figure is
 * the median of several timed repetitions after a warm-up, and each big result is spot-checked against
 * double-precision dot products at sampled entries, so a fast wrong kernel cannot report a speed.
 * FLOP counts follow the usual convention: matmul 2n^3; attention forward 4*S^2*D*H (halved when
 * causal); forward+backward 3.5x the forward. Every layout's matmul and both attention-forward kernels are measured:
 * the default ({@link ClOps#DEFAULT_LAYOUT}) untagged, the others tagged with the layout ({@code _strided}, ...). Prints a table and one JSON line per result
 * ({@code bench/gpu/compare.py} pairs them with the PyTorch peer).
 *
 * <p>Usage: {@code OpenClBench [--device N | --device-match TEXT] [--n 8192] [--seq 8192] [--heads 32]
 * [--head-dim 128] [--reps 5]}
 */
public final class OpenClBench {
    public static void main(String[] argv) {
        Locale.setDefault(Locale.ROOT);
        int n = 8192, seq = 8192, heads = 32, hd = 128, reps = 5;
        String match = null, dump = null;
        int index = 0;
        for (int i = 0; i < argv.length; i += 2) {
            String v = i + 1 < argv.length ? argv[i + 1] : null;
            if (v == null) usage("missing value after " + argv[i]);
            switch (argv[i]) {
                case "--device" -> index = Integer.parseInt(v);
                case "--device-match" -> match = v;
                case "--n" -> n = Integer.parseInt(v);
                case "--seq" -> seq = Integer.parseInt(v);
                case "--heads" -> heads = Integer.parseInt(v);
                case "--head-dim" -> hd = Integer.parseInt(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--dump" -> dump = v;
                default -> usage("unknown option " + argv[i]);
            }
        }
        ClDevice dev = match != null ? ClDevices.find(match) : ClDevices.get(index);
        System.out.println("device: " + dev.describe());
        long t0 = System.nanoTime();
        try (ClContext ctx = ClContext.open(dev); ClOps ops = new ClOps(ctx)) {
            System.out.printf("compiled %d kernels for the device in %.1f s%n", ClOps.KERNELS.size(), (System.nanoTime() - t0) / 1e9);
            if (dump != null) dumpBinaries(ctx, java.nio.file.Path.of(dump));
            List<String> json = new ArrayList<>();
            // every matmul layout; the attention forward has two kernels (VECTOR* use WIDE's), so two layouts
            for (ClOps.Layout l : ClOps.Layout.values())
                try (ClOps o = new ClOps(ctx, l)) { json.add(matmul(o, n, reps)); }
            for (ClOps.Layout l : new ClOps.Layout[] {ClOps.Layout.WIDE, ClOps.Layout.STRIDED})
                try (ClOps o = new ClOps(ctx, l)) { for (boolean causal : new boolean[] {true, false}) json.addAll(attention(o, seq, heads, hd, causal, reps)); }
            json.forEach(System.out::println);
        }
    }

    /**
     * Writes the device binaries of the tiled kernels (PTX on NVIDIA) and prints, per kernel, the registers and
     * local ("spill") memory the driver's PTX declares: private arrays that did not stay in registers show here.
     */
    static void dumpBinaries(ClContext ctx, java.nio.file.Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
            for (Class<? extends ClKernel> k : List.of(MatmulKernel.class, MatmulWideKernel.class, MatmulVecKernel.class, MatmulVecDbKernel.class, AttentionForwardKernel.class,
                    AttentionForwardWideKernel.class, AttentionBackwardQKernel.class, AttentionBackwardKvKernel.class)) {
                byte[] bin = ctx.program(k).binary();
                java.nio.file.Files.write(dir.resolve(k.getSimpleName() + ".ptx"), bin);
                String text = new String(bin, java.nio.charset.StandardCharsets.ISO_8859_1);
                long localDecl = text.lines().filter(l -> l.contains(".local")).count();
                long ldLocal = text.lines().filter(l -> l.contains("ld.local") || l.contains("st.local")).count();
                long lds128 = text.lines().filter(l -> l.contains("ld.shared.v4")).count();
                System.out.printf("binary %-28s %8d bytes, .local lines %d, ld/st.local %d, ld.shared.v4 %d%n", k.getSimpleName(), bin.length,
                        localDecl, ldLocal, lds128);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void usage(String msg) {
        System.err.println("OpenClBench: " + msg);
        System.exit(2);
    }

    static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    interface Body { void run(); }

    /** Median seconds of reps timed runs after one warm-up; the queue is drained around each run. */
    static double time(ClContext ctx, int reps, Body body) {
        body.run();
        ctx.finish();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            body.run();
            ctx.finish();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static String matmul(ClOps ops, int n, int reps) {
        ClContext ctx = ops.context();
        SplittableRandom r = new SplittableRandom(42);
        float[] a = random(r, n * n), b = random(r, n * n);
        try (ClBuffer da = ctx.upload(a); ClBuffer db = ctx.upload(b); ClBuffer dc = ctx.alloc(ClBuffer.Type.F32, (long) n * n)) {
            double s = time(ctx, reps, () -> ops.matmul(da, 0, db, 0, dc, 0, n, n, n, false, false, false));
            float[] c = new float[n * n];
            dc.read(0, c, 0, c.length);
            double err = 0;
            for (int t = 0; t < 64; t++) {
                int i = r.nextInt(n), j = r.nextInt(n);
                double want = 0;
                for (int p = 0; p < n; p++) want += (double) a[i * n + p] * b[p * n + j];
                err = Math.max(err, Math.abs(c[i * n + j] - want) / (1 + Math.abs(want)));
            }
            double tflops = 2.0 * n * n * n / s / 1e12;
            String tag = tag(ops);
            System.out.printf("matmul%s f32 %d^3: %.2f ms, %.3g TFLOP/s, max sampled rel error %.2e%n", tag, n, s * 1e3, tflops, err);
            check(err, 1e-4, "matmul");
            return String.format("{\"op\":\"matmul_f32%s\",\"n\":%d,\"ms\":%.3f,\"tflops\":%.4g,\"max_rel_err\":%.3e}", tag, n, s * 1e3, tflops, err);
        }
    }

    static List<String> attention(ClOps ops, int seq, int heads, int hd, boolean causal, int reps) {
        ClContext ctx = ops.context();
        SplittableRandom r = new SplittableRandom(causal ? 7 : 8);
        int size = seq * heads * hd;
        float[] q = random(r, size), k = random(r, size), v = random(r, size), dOut = random(r, size);
        int[] pos = new int[seq];
        for (int i = 0; i < seq; i++) pos[i] = i;
        float scale = (float) (1 / Math.sqrt(hd));
        try (ClBuffer bq = ctx.upload(q); ClBuffer bk = ctx.upload(k); ClBuffer bv = ctx.upload(v); ClBuffer bdo = ctx.upload(dOut);
             ClBuffer out = ctx.alloc(ClBuffer.Type.F32, size); ClBuffer lse = ctx.alloc(ClBuffer.Type.F32, (long) seq * heads);
             ClBuffer delta = ctx.alloc(ClBuffer.Type.F32, (long) seq * heads); ClBuffer bp = ctx.upload(pos);
             ClBuffer dq = ctx.alloc(ClBuffer.Type.F32, size); ClBuffer dk = ctx.alloc(ClBuffer.Type.F32, size);
             ClBuffer dv = ctx.alloc(ClBuffer.Type.F32, size)) {
            ClAttention a = new ClAttention(bq, 0, bk, 0, bv, 0, out, 0, lse, 0, seq, seq, heads, heads, hd, bp, bp, null, null, causal, scale);
            double fwd = time(ctx, reps, () -> ops.attentionForward(a));
            float[] o = new float[size];
            out.read(0, o, 0, size);
            double err = 0;
            for (int t = 0; t < 16; t++) err = Math.max(err, rowError(q, k, v, o, seq, heads, hd, r.nextInt(seq), r.nextInt(heads), causal, scale));
            double both = time(ctx, Math.max(1, reps / 2), () -> {
                ops.attentionForward(a);
                ops.attentionDelta(out, bdo, delta, seq, heads, hd);
                dq.fill(0f, 0, size);
                dk.fill(0f, 0, size);
                dv.fill(0f, 0, size);
                ops.attentionBackward(a, bdo, delta, dq, dk, dv);
            });
            float[] g = new float[size];
            dq.read(0, g, 0, size);
            boolean finite = true;
            for (float x : g) finite &= Float.isFinite(x);
            double flops = 4.0 * seq * (double) seq * hd * heads * (causal ? 0.5 : 1);
            String m = (causal ? "causal" : "full") + tag(ops);
            System.out.printf("attention fwd %s S=%d H=%d D=%d: %.2f ms, %.3g TFLOP/s, max sampled rel error %.2e%n", m, seq, heads, hd,
                    fwd * 1e3, flops / fwd / 1e12, err);
            System.out.printf("attention fwd+bwd %s: %.2f ms, %.3g TFLOP/s (gradients finite: %s)%n", m, both * 1e3, 3.5 * flops / both / 1e12, finite);
            check(err, 1e-3, "attention forward");
            if (!finite) throw new IllegalStateException("attention backward produced non-finite gradients");
            return List.of(
                    String.format("{\"op\":\"attention_fwd_%s\",\"seq\":%d,\"heads\":%d,\"head_dim\":%d,\"ms\":%.3f,\"tflops\":%.4g,\"max_rel_err\":%.3e}",
                            m, seq, heads, hd, fwd * 1e3, flops / fwd / 1e12, err),
                    String.format("{\"op\":\"attention_fwdbwd_%s\",\"seq\":%d,\"heads\":%d,\"head_dim\":%d,\"ms\":%.3f,\"tflops\":%.4g}",
                            m, seq, heads, hd, both * 1e3, 3.5 * flops / both / 1e12));
        }
    }

    /** Max relative error of one output row (token i, head h) against a double-precision softmax. */
    static double rowError(float[] q, float[] k, float[] v, float[] o, int seq, int heads, int hd, int i, int h, boolean causal, float scale) {
        int last = causal ? i : seq - 1;
        double[] s = new double[last + 1];
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
            double d = 0;
            for (int x = 0; x < hd; x++) d += (double) q[(i * heads + h) * hd + x] * k[(j * heads + h) * hd + x];
            s[j] = d * scale;
            m = Math.max(m, s[j]);
        }
        double l = 0;
        for (int j = 0; j <= last; j++) l += s[j] = Math.exp(s[j] - m);
        double err = 0;
        for (int x = 0; x < hd; x++) {
            double want = 0;
            for (int j = 0; j <= last; j++) want += s[j] * v[(j * heads + h) * hd + x];
            want /= l;
            err = Math.max(err, Math.abs(o[(i * heads + h) * hd + x] - want) / (1 + Math.abs(want)));
        }
        return err;
    }

    /** Results of the default layout are untagged, the others carry the layout's name ({@code _strided}, ...). */
    static String tag(ClOps ops) {
        return ops.layout() == ClOps.DEFAULT_LAYOUT ? "" : "_" + ops.layout().name().toLowerCase(Locale.ROOT);
    }

    static void check(double err, double tol, String what) {
        if (!(err <= tol)) throw new IllegalStateException(what + ": sampled error " + err + " above " + tol + ": the kernel is wrong on this device");
    }
}
