package lwm.bench;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lwm.config.DeviceConfig;
import lwm.kernels.Backends;
import lwm.kernels.Kernels;
import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaCheckpoint;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.Presets;
import lwm.model.RandomWeights;
import lwm.model.Sampler;
import lwm.model.TensorSource;
import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Decode speed of a 7B-shaped model (LWM-Text: hidden 4096, 32 heads, FFN 11008, vocab 32000) against
 * the memory-bandwidth bound measured in the same run. Decoding one token reads every weight once, so
 * the bound is (bytes streamed per second by a plain parallel read of the same weight memory) / (weight
 * bytes per token); ratio = achieved / bound. By default the model has fewer layers than 32 (random bf16
 * weights in memory) so that it fits a shared machine; per-token bytes scale linearly with layers.
 */
public final class DecodeWorkload implements Workload {
    public String name() { return "decode"; }

    public String summary() {
        return "decode tokens/s of a 7B-shaped bf16 model vs the memory-bandwidth bound (--layers N, --model DIR, --tokens N)";
    }

    public BenchResult run(Map<String, String> o, PrintStream out) throws Exception {
        for (String key : o.keySet())
            if (!List.of("layers", "tokens", "prompt", "dtype", "device", "model").contains(key))
                throw new IllegalArgumentException("decode: unknown option --" + key + " (layers, tokens, prompt, dtype, device, model)");
        int layers = positive(o, "layers", 2), tokens = positive(o, "tokens", 16), prompt = positive(o, "prompt", 32);
        DType dtype = switch (o.getOrDefault("dtype", "bf16").toLowerCase()) {
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            case "f32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype: '" + o.get("dtype") + "' is not bf16, f16 or f32");
        };
        Kernels k = Backends.create(DeviceConfig.resolve(o.get("device")));
        try (Arena arena = Arena.ofShared()) {
            LlamaCheckpoint ckpt = null;
            LlamaWeights w;
            if (o.containsKey("model")) {
                ckpt = LlamaCheckpoint.load(Path.of(o.get("model")));
                w = ckpt.weights();
            } else {
                LlamaConfig c7 = Presets.get("lwm-7b");
                LlamaConfig c = new LlamaConfig(c7.vocabSize(), c7.hiddenSize(), c7.intermediateSize(), layers, c7.heads(), c7.kvHeads(),
                        c7.headDim(), c7.maxPositions(), c7.ropeTheta(), c7.rmsNormEps(), false, 1, 2);
                out.printf("building a 7B-shaped model with %d layers, %s random weights ...%n", layers, dtype);
                w = LlamaWeights.from(c, TensorSource.of(RandomWeights.create(c, dtype, 1, arena)));
            }
            try {
                return measure(w, k, prompt, tokens, out);
            } finally {
                if (ckpt != null) ckpt.close();
                if (k instanceof AutoCloseable c) c.close();
            }
        }
    }

    static int positive(Map<String, String> o, String key, int def) {
        String v = o.get(key);
        if (v == null) return def;
        try {
            int n = Integer.parseInt(v);
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
        }
        throw new IllegalArgumentException("--" + key + ": expected a positive integer, got '" + v + "'");
    }

    static BenchResult measure(LlamaWeights w, Kernels k, int prompt, int tokens, PrintStream out) {
        LlamaConfig c = w.config();
        LlamaModel model = new LlamaModel(w, k);
        int[] ids = new int[prompt];
        for (int i = 0; i < prompt; i++) ids[i] = 1 + (i * 7919) % (c.vocabSize() - 1);
        long bytes = w.bytesPerToken();
        List<MemorySegment> pieces = pieces(w);
        // warm-up: JIT of both sides and page-in of the weights
        KvCache warm = model.newCache(prompt + 4, KvCache.Storage.F32);
        new Generator(model, warm, 64).generate(ids, 4, Sampler.greedy(), id -> false, new Generator.Listener() {});
        streamPass(pieces);
        // the machine is shared: interleave the two measurements and keep the best of each
        int rounds = 3;
        double tps = 0, gbps = 0, prefill = 0;
        for (int round = 0; round < rounds; round++) {
            KvCache cache = model.newCache(prompt + tokens + 1, KvCache.Storage.F32);
            Generator.Result r = new Generator(model, cache, 64).generate(ids, tokens + 1, Sampler.greedy(), id -> false, new Generator.Listener() {});
            tps = Math.max(tps, r.decodeTokensPerSecond());
            prefill = Math.max(prefill, r.prefillTokensPerSecond());
            for (int pass = 0; pass < 5; pass++) gbps = Math.max(gbps, streamPass(pieces));
            out.printf("round %d: decode %.2f tok/s, stream %.2f GB/s%n", round + 1, r.decodeTokensPerSecond(), gbps);
        }
        double bound = gbps * 1e9 / bytes;
        out.printf("%-28s %s%n", "kernels", k.name());
        out.printf("%-28s %d layers, %s, %.3f GB read per token%n", "model", c.layers(), w.dtype(), bytes / 1e9);
        out.printf("%-28s %.2f tok/s (best of %d rounds of %d tokens after a %d-token prompt)%n", "decode", tps, rounds, tokens, prompt);
        out.printf("%-28s %.2f GB/s (parallel read of the same weight bytes)%n", "stream bandwidth", gbps);
        out.printf("%-28s %.2f tok/s%n", "bandwidth bound", bound);
        out.printf("%-28s %.3f%n", "ratio achieved/bound", tps / bound);
        out.printf("%-28s %.2f tok/s at 32 layers (scaled by bytes per token)%n", "7B estimate",
                tps * bytes / (double) scaledBytes(w, 32));
        out.println("note: the machine is shared with other jobs; figures vary with its load");
        return new BenchResult("decode", tps, bound, "tokens/s")
                .with("kernels", k.name()).with("layers", c.layers()).with("dtype", w.dtype().name())
                .with("bytes_per_token", bytes).with("stream_GBps", gbps).with("prefill_tokens_per_second", prefill)
                .with("threads", Runtime.getRuntime().availableProcessors());
    }

    /** Bytes per token of the same model with {@code layers} layers. */
    static long scaledBytes(LlamaWeights w, int layers) {
        long perLayer = 0;
        for (Tensor t : layerTensors(w.layers()[0])) perLayer += t.numel() * t.dtype().bytes;
        return w.bytesPerToken() + (layers - w.layers().length) * perLayer;
    }

    static List<Tensor> layerTensors(LlamaWeights.Layer l) {
        return List.of(l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm(), l.gate(), l.up(), l.down());
    }

    private static final VectorSpecies<Long> L = LongVector.SPECIES_256; // 512-bit loads gained nothing here

    /** Every weight a decode step reads, in 4 MiB pieces so that every core gets work. */
    static List<MemorySegment> pieces(LlamaWeights w) {
        List<MemorySegment> segs = new ArrayList<>();
        for (LlamaWeights.Layer l : w.layers()) for (Tensor t : layerTensors(l)) segs.add(bytesOf(t));
        segs.add(bytesOf(w.finalNorm()));
        segs.add(bytesOf(w.lmHead()));
        List<MemorySegment> pieces = new ArrayList<>();
        long piece = 4L << 20;
        for (MemorySegment s : segs) for (long o = 0; o < s.byteSize(); o += piece) pieces.add(s.asSlice(o, Math.min(piece, s.byteSize() - o)));
        return pieces;
    }

    static long sink;
    /** As many readers as the kernels have threads (a parallel stream inside a pool runs on that pool). */
    private static final java.util.concurrent.ForkJoinPool STREAM = new java.util.concurrent.ForkJoinPool(Runtime.getRuntime().availableProcessors());

    /** GB/s of one parallel read of every piece (vector loads, xor-reduced so nothing is optimised away). */
    static double streamPass(List<MemorySegment> pieces) {
        long total = pieces.stream().mapToLong(MemorySegment::byteSize).sum();
        try { Thread.sleep(20); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } // idle kernel workers park
        long t0 = System.nanoTime();
        long x = STREAM.submit(() -> IntStream.range(0, pieces.size()).parallel().mapToLong(i -> readAll(pieces.get(i))).reduce(0, (a, b) -> a ^ b)).join();
        double s = (System.nanoTime() - t0) / 1e9;
        sink ^= x;
        return total / s / 1e9;
    }

    static MemorySegment bytesOf(Tensor t) {
        long n = t.numel() * t.dtype().bytes;
        return t.segment().asSlice(t.offset() * t.dtype().bytes, n);
    }

    /**
     * Reads a piece as four interleaved streams (the access pattern of the decode kernel, which walks four
     * weight rows at once: several streams keep more cache-line fetches in flight than one).
     */
    static long readAll(MemorySegment s) {
        long step = L.vectorByteSize(), quarter = s.byteSize() / 4 / step * step;
        LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
        for (long i = 0; i < quarter; i += step) {
            a0 = a0.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(L, s, i, ByteOrder.nativeOrder()));
            a1 = a1.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(L, s, quarter + i, ByteOrder.nativeOrder()));
            a2 = a2.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(L, s, 2 * quarter + i, ByteOrder.nativeOrder()));
            a3 = a3.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(L, s, 3 * quarter + i, ByteOrder.nativeOrder()));
        }
        long x = a0.lanewise(VectorOperators.XOR, a1).lanewise(VectorOperators.XOR, a2).lanewise(VectorOperators.XOR, a3).reduceLanes(VectorOperators.XOR);
        for (long i = 4 * quarter; i < s.byteSize(); i++) x ^= s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
        return x;
    }
}
