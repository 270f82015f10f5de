package lwm.bench;

import lwm.ring.RankLauncher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./lwm bench ring}: RingAttention over real MPJ Express ranks (niodev, one JVM per rank) at a
 * fixed number of tokens per rank, P = 1, 2, 4.
 * <ul>
 *   <li>(a) time per attention layer (forward) and overlap efficiency = compute-only time (the same hops
 *       with no communication) / ring time; the RingAttention condition block >= F/B from the measured
 *       kernel FLOP rate F and ring-hop bandwidth B, against the smallest swept block that overlaps;</li>
 *   <li>(b) bytes each rank allocates per forward, which stays flat as P grows, and the memory model's
 *       longest context per rank for a given budget (constant in P, so context grows linearly);</li>
 *   <li>(c) causal zigzag vs plain (contiguous) ring.</li>
 * </ul>
 * Result mapping: java = compute-only ms, peer = ring ms (zigzag, causal, largest P), ratio = overlap efficiency.
 * Ranks on a 2-core machine oversubscribe at P = 4; compute-only runs oversubscribed the same way.
 */
public final class RingBench implements Workload {
    @Override public String name() { return "ring"; }

    @Override public String summary() { return "RingAttention over MPJ ranks: overlap efficiency, zigzag vs plain, memory per rank"; }

    private record Row(Map<String, String> kv) {
        String s(String k) { return kv.get(k); }
        double d(String k) { return Double.parseDouble(kv.get(k)); }
        int i(String k) { return Integer.parseInt(kv.get(k)); }
    }

    @Override
    public BenchResult run(Map<String, String> o, PrintStream out) throws Exception {
        int c = intOpt(o, "tokens", 512), h = intOpt(o, "heads", 4), hk = intOpt(o, "kv-heads", h), d = intOpt(o, "head-dim", 64);
        int reps = intOpt(o, "reps", 4);
        String sweep = o.getOrDefault("sweep", "64,128,256");
        String kernelChoice = o.getOrDefault("kernels", "vector");
        RingBenchTask.kernels(kernelChoice, 1);   // rejects a bad name before any rank starts
        List<Integer> ranks = new ArrayList<>();
        for (String s : o.getOrDefault("ranks", "1,2,4").split(",")) ranks.add(Integer.parseInt(s.trim()));
        out.printf(Locale.ROOT, "ring bench: %d tokens per rank, %d heads (%d kv), head dim %d, f32; ranks %s; machine has %d cores%s%n",
                c, h, hk, d, ranks, Runtime.getRuntime().availableProcessors(),
                ranks.stream().anyMatch(p -> p > Runtime.getRuntime().availableProcessors()) ? " (larger P oversubscribes: ranks share cores)" : "");
        out.println("shared machine, other jobs running: figures are indicative, compare within this run");
        List<Row> rows = new ArrayList<>();
        String kernels = "?";
        for (int p : ranks) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            long t0 = System.nanoTime();
            RankLauncher.Result r = new RankLauncher(p, RingBenchTask.class.getName())
                    .args(Integer.toString(c), Integer.toString(h), Integer.toString(hk), Integer.toString(d), Integer.toString(reps), sweep, kernelChoice)
                    .output(new PrintStream(buf, true, StandardCharsets.UTF_8)).launch();
            String text = buf.toString(StandardCharsets.UTF_8);
            if (!r.ok()) throw new IllegalStateException("ring bench with " + p + " ranks failed: " + r.message() + "\n" + text);
            out.printf(Locale.ROOT, "  P=%d done in %.1f s%n", p, (System.nanoTime() - t0) / 1e9);
            for (String line : text.lines().toList()) {
                int at = line.indexOf("RINGBENCH ");
                if (at < 0) continue;
                String[] f = line.substring(at + 10).trim().split(" ");
                Map<String, String> kv = new LinkedHashMap<>();
                kv.put("tag", f[0]);
                for (int i = 1; i < f.length; i++) {
                    int eq = f[i].indexOf('=');
                    kv.put(f[i].substring(0, eq), f[i].substring(eq + 1));
                }
                if (f[0].equals("kernels")) kernels = kv.get("name");
                else rows.add(new Row(kv));
            }
        }
        out.println("kernels: " + kernels);
        out.println();
        out.println("(a) one attention layer forward, max over ranks, best of " + reps);
        out.println("   P  layout      causal   ring ms   compute-only ms   overlap eff.   GFLOP/s per rank");
        for (Row r : rows)
            if (r.s("tag").equals("main"))
                out.printf(Locale.ROOT, "  %2d  %-10s  %-6s  %8.2f  %16.2f  %13.3f  %17.2f%n", r.i("P"), r.s("layout"), r.s("causal"),
                        r.d("ring_ms"), r.d("compute_ms"), r.d("compute_ms") / r.d("ring_ms"), r.d("flops") / r.d("compute_ms") / 1e6);
        // rates: F from the non-causal compute-only run (every pair visible), B from the bare hop
        int pMax = ranks.get(ranks.size() - 1);
        Row full = find(rows, "main", pMax, "contiguous", "false");
        Row hop = null;
        for (Row r : rows) if (r.s("tag").equals("hop") && r.i("P") == pMax) hop = r;
        double flopRate = full.d("flops") / (full.d("compute_ms") / 1e3);
        double bw = hop == null ? Double.NaN : hop.d("bytes") / (hop.d("hop_ms") / 1e3);
        // per hop: causal zigzag computes half a c x c block (2 c^2 d H FLOPs), sends K and V (8 c Hk d bytes)
        double cMinZigzag = 4.0 * hk * flopRate / (h * bw), cMinFull = 2.0 * hk * flopRate / (h * bw);
        out.println();
        out.printf(Locale.ROOT, "rates at P=%d: F = %.2f GFLOP/s per rank (attention kernel, all ranks busy), B = %.3f GB/s per rank (K+V hop of %d tokens)%n",
                pMax, flopRate / 1e9, bw / 1e9, c);
        out.printf(Locale.ROOT, "RingAttention condition (compute per hop >= transfer per hop): block >= %.0f tokens (causal zigzag), >= %.0f (non-causal)%n",
                cMinZigzag, cMinFull);
        out.println("   P  block  ring ms  compute-only ms  overlap eff.   (causal zigzag sweep)");
        Map<Integer, Integer> smallestOk = new LinkedHashMap<>();
        for (Row r : rows)
            if (r.s("tag").equals("sweep")) {
                double eff = r.d("compute_ms") / r.d("ring_ms");
                out.printf(Locale.ROOT, "  %2d  %5d  %7.2f  %15.2f  %12.3f%n", r.i("P"), r.i("c"), r.d("ring_ms"), r.d("compute_ms"), eff);
                if (eff >= 0.9 && r.i("P") > 1) smallestOk.merge(r.i("P"), r.i("c"), Math::min);
            }
        Row mainZig = find(rows, "main", pMax, "zigzag", "true");
        if (pMax > 1 && mainZig.d("compute_ms") / mainZig.d("ring_ms") >= 0.9) smallestOk.merge(pMax, c, Math::min);
        out.println("smallest measured block with overlap >= 0.9 per P: " + (smallestOk.isEmpty() ? "none" : smallestOk));

        out.println();
        out.println("(b) memory per rank per attention layer (bytes allocated by one forward; inputs excluded)");
        long perToken = 4L * (2L * 2 * hk * d + 2 * 2 + h * d + h) + 8L * (h * d + h);
        for (Row r : rows)
            if (r.s("tag").equals("main") && r.s("layout").equals("zigzag"))
                out.printf(Locale.ROOT, "  P=%d: %,d bytes measured (%.0f per local token); total context %d tokens%n",
                        r.i("P"), r.i("alloc_bytes"), r.d("alloc_bytes") / c, c * r.i("P"));
        long inputs = 4L * (2L * h * d + 2L * hk * d + h);
        long budget = 1L << 30;
        out.printf(Locale.ROOT, "  model: %d bytes per local token (q, k, v, out, lse) + %d ring workspace = %d; with 1 GiB per rank for one layer's attention:%n",
                inputs, perToken, inputs + perToken);
        for (int p : ranks)
            out.printf(Locale.ROOT, "    P=%d: %,d tokens per rank, %,d tokens of context%n", p, budget / (inputs + perToken), p * (budget / (inputs + perToken)));

        out.println();
        out.println("(c) causal: plain ring (contiguous) time / zigzag time");
        Map<String, Object> speedups = new LinkedHashMap<>();
        for (int p : ranks) {
            Row z = find(rows, "main", p, "zigzag", "true"), pl = find(rows, "main", p, "contiguous", "true");
            double sp = pl.d("ring_ms") / z.d("ring_ms");
            speedups.put("P" + p, round(sp));
            out.printf(Locale.ROOT, "  P=%d: %.2f ms / %.2f ms = %.2fx%n", p, pl.d("ring_ms"), z.d("ring_ms"), sp);
        }
        BenchResult res = new BenchResult("ring", mainZig.d("compute_ms"), mainZig.d("ring_ms"), "ms");
        res.with("meaning", "ratio = overlap efficiency (compute-only ms / ring ms), causal zigzag, P=" + pMax + ", " + c + " tokens per rank")
                .with("ranks", pMax).with("tokens_per_rank", c).with("kernels", kernels).with("cores", Runtime.getRuntime().availableProcessors())
                .with("flop_rate_gflops", round(flopRate / 1e9)).with("bandwidth_gbs", round(bw / 1e9))
                .with("min_block_condition_zigzag", Math.round(cMinZigzag)).with("min_block_measured", smallestOk)
                .with("zigzag_speedup_over_plain", speedups);
        return res;
    }

    private static double round(double x) { return Math.round(x * 1000) / 1000.0; }

    private static Row find(List<Row> rows, String tag, int p, String layout, String causal) {
        for (Row r : rows)
            if (r.s("tag").equals(tag) && r.i("P") == p && layout.equals(r.s("layout")) && causal.equals(r.s("causal"))) return r;
        throw new IllegalStateException("missing measurement " + tag + " P=" + p + " " + layout + " causal=" + causal);
    }

    private static int intOpt(Map<String, String> o, String k, int def) {
        String v = o.get(k);
        if (v == null) return def;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be an integer, got '" + v + "'");
        }
    }
}
