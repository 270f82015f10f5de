package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.Kernels;
import lwm.kernels.VectorKernels;
import lwm.model.LlamaConfig;
import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;
import lwm.model.train.AdamW;
import lwm.model.train.LossWeighting;
import lwm.model.train.TrainStep;
import lwm.model.train.TrainableLlama;
import lwm.model.train.Trainer;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./lwm bench train}: training tokens/s of a small LLaMA (default 4 layers, d=256, seq 2048,
 * vocab 32000, four 512-token documents packed in the row) for one full optimizer step (forward,
 * backward, clipping, AdamW), against the same model and step in PyTorch on the CPU, measured in the
 * same run. Options: --layers --hidden --heads --inter --vocab --seq --steps --warmup --threads.
 */
public final class TrainWorkload implements Workload {
    public String name() { return "train"; }

    public String summary() { return "training step tokens/s (4 layers, d=256, seq 2048) vs PyTorch CPU"; }

    static int opt(Map<String, String> o, String k, int def) {
        String v = o.get(k);
        if (v == null) return def;
        try { return Integer.parseInt(v); }
        catch (NumberFormatException e) { throw new IllegalArgumentException("--" + k + ": expected an integer, got '" + v + "'"); }
    }

    static Kernels kernels() { return new VectorKernels(); }

    public BenchResult run(Map<String, String> o, PrintStream out) throws Exception {
        int layers = opt(o, "layers", 4), hidden = opt(o, "hidden", 256), heads = opt(o, "heads", 4), inter = opt(o, "inter", 688);
        int vocab = opt(o, "vocab", 32000), seq = opt(o, "seq", 2048), steps = opt(o, "steps", 3), warmup = opt(o, "warmup", 1);
        int threads = opt(o, "threads", Runtime.getRuntime().availableProcessors());
        double theta = 1e6;
        LlamaConfig c = new LlamaConfig(vocab, hidden, inter, layers, heads, heads, hidden / heads, seq, theta, 1e-6f, false, 1, 2);
        Kernels k = kernels();
        out.printf("train step: %d layers, d=%d, %d heads, ffn %d, vocab %d, seq %d (4 packed docs), kernels %s%n",
                layers, hidden, heads, inter, vocab, seq, k.name());

        TrainableLlama m = TrainableLlama.initialise(c, 0, 0.02);
        SplittableRandom r = new SplittableRandom(1);
        RowBuilder b = new RowBuilder(seq, 1, false);
        int doc = Math.max(2, seq / 4);
        while (b.remaining() >= 2) {
            int[] ids = new int[Math.min(doc, b.remaining())];
            for (int i = 0; i < ids.length; i++) ids[i] = 3 + r.nextInt(vocab - 3);
            b.add(new Document(ids));
        }
        List<PackedRow> batch = List.of(b.build());
        Trainer t = new Trainer(m, k, new LocalAttention(k), GradientSync.SINGLE, TokenPartition.WHOLE,
                TrainStep.Options.defaults(), LossWeighting.perExample(), AdamW.lwm(m.params(), 0.1));
        List<Double> times = new ArrayList<>();
        double loss = 0;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            loss = t.train(batch, 1e-4).loss();
            double sec = (System.nanoTime() - t0) / 1e9;
            out.printf("  java  step %d: %.2f s%s%n", s + 1, sec, s < warmup ? " (warm-up)" : "");
            if (s >= warmup) times.add(sec);
        }
        double javaTps = seq * times.size() / times.stream().mapToDouble(Double::doubleValue).sum();

        JsonNode peer = runPeer(layers, hidden, heads, inter, vocab, seq, theta, steps, warmup, threads);
        double peerTps = peer.get("tokens_per_s").asDouble();
        for (int i = 0; i < peer.get("step_s").size(); i++) out.printf("  torch step %d: %.2f s%n", warmup + i + 1, peer.get("step_s").get(i).asDouble());

        out.printf("%n%-22s %12s%n", "", "tokens/s");
        out.printf("%-22s %12.1f%n", "lwm-java (" + k.name() + ")", javaTps);
        out.printf("%-22s %12.1f%n", "PyTorch " + peer.get("threads").asInt() + " threads", peerTps);
        out.printf("ratio java/torch: %.2fx  (machine shared with other jobs: figures vary with load)%n", javaTps / peerTps);
        out.println("torch BLAS: " + peer.path("blas").asText() + " (Debian's reference libblas is far slower than OpenBLAS/MKL;"
                + " LD_LIBRARY_PATH=<openblas dir> ./lwm bench train measures the peer with OpenBLAS)");
        return new BenchResult("train", javaTps, peerTps, "tokens/s")
                .with("kernels", k.name()).with("layers", layers).with("hidden", hidden).with("seq", seq).with("vocab", vocab)
                .with("java_loss", loss).with("torch_loss", peer.get("loss").asDouble()).with("torch_threads", peer.get("threads").asInt())
                .with("torch_blas", peer.path("blas").asText());
    }

    static JsonNode runPeer(int layers, int hidden, int heads, int inter, int vocab, int seq, double theta, int steps, int warmup, int threads)
            throws Exception {
        Path script = Files.createTempFile("lwm-train-peer", ".py");
        try (InputStream in = TrainWorkload.class.getResourceAsStream("/bench/train_peer.py")) {
            Files.write(script, in.readAllBytes());
        }
        String cfg = String.format(java.util.Locale.ROOT,
                "{\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"inter\":%d,\"vocab\":%d,\"seq\":%d,\"theta\":%f,\"steps\":%d,\"warmup\":%d,\"threads\":%d}",
                layers, hidden, heads, inter, vocab, seq, theta, steps, warmup, threads);
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), cfg).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IllegalStateException("PyTorch peer failed: " + text.strip());
            String last = text.strip().lines().reduce((a, b) -> b).orElse("");
            return new ObjectMapper().readTree(last);
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
