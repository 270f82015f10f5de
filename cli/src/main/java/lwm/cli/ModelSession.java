package lwm.cli;

import lwm.config.DeviceConfig;
import lwm.kernels.Backends;
import lwm.kernels.Kernels;
import lwm.kernels.RopeStyle;
import lwm.kernels.opencl.ClOps;
import lwm.kernels.opencl.OpenClKernels;
import lwm.model.CachedForward;
import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaCheckpoint;
import lwm.model.LlamaModel;
import lwm.model.MemoryPlan;
import lwm.model.opencl.ClLlamaModel;
import lwm.model.opencl.DevicePlan;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What generate, chat and logits share: the model directory, its tokenizer, the compute backend, the
 * prompt options and the memory plan. Options are read in the constructor; loading happens in {@link #open}.
 *
 * <p>One process on an OpenCL device runs device-resident ({@link ClLlamaModel}: weights uploaded once,
 * KV cache in device buffers); on the CPU, and in each rank of --ranks, {@link #model} runs over
 * {@link #kernels} with the KV cache on the heap.
 */
final class ModelSession implements AutoCloseable {
    final Path modelDir;
    final String tokenizerOpt, device;
    final int contextOpt, prefillChunk;
    final KvCache.Storage kvStorage;
    LlamaCheckpoint checkpoint;
    Tokenizer tokenizer;
    Kernels kernels;
    /** The host-side model; null when the run is device-resident. */
    LlamaModel model;
    /** The device's operations when the run is device-resident, else null. */
    ClOps deviceOps;
    private ClLlamaModel resident;
    /** Set by the --ranks launcher, which only checks the model: its rank JVMs run it over the Kernels interface. */
    boolean launchingRanks;

    static final String OPTIONS = """
              --model DIR          Hugging Face LLaMA directory (config.json + safetensors, single or sharded)
              --tokenizer FILE     tokenizer.model or tokenizer.json (default: the one in DIR, .model first)
              --device cpu|opencl:N[,M..]  compute backend (default: device.json, else cpu); a list gives rank r the r-th index
              --context N          tokens to reserve in the KV cache (checked by the memory plan before allocating)
              --kv-dtype f32|bf16  KV cache storage (default f32; bf16 halves its memory; CPU only)
              --prefill-chunk N    prompt tokens per forward pass (default 512)
            """;

    /** How --device opencl runs, for the usage text of the commands that also take --ranks. */
    static final String DEVICE_NOTE = """

              --device opencl:N in one process keeps the weights and the KV cache on the device (ids go in, logits come
              out); the ranks of --ranks still run over the Kernels interface, copying host arrays at every kernel call.""";

    ModelSession(Args args) {
        modelDir = Path.of(args.required("model"));
        tokenizerOpt = args.str("tokenizer", null);
        device = args.str("device", null);
        contextOpt = args.integer("context", 0);
        prefillChunk = args.integer("prefill-chunk", 512);
        if (prefillChunk <= 0) throw new UsageError("--prefill-chunk must be positive");
        if (args.has("context") && contextOpt <= 0) throw new UsageError("--context must be positive");
        try { kvStorage = KvCache.Storage.parse(args.str("kv-dtype", "f32")); }
        catch (IllegalArgumentException e) { throw new UsageError("--kv-dtype: " + e.getMessage()); }
    }

    /** Loads the checkpoint and tokenizer; {@code needTokenizer} makes a missing tokenizer an error. */
    void open(boolean needTokenizer, PrintStream log) {
        long t0 = System.nanoTime();
        checkpoint = LlamaCheckpoint.load(modelDir);
        Path tok = tokenizerOpt != null ? Path.of(tokenizerOpt) : checkpoint.tokenizerFile();
        if (tokenizerOpt != null && !Files.isRegularFile(tok)) throw new UsageError(tok + ": tokenizer file not found");
        if (tok != null) tokenizer = Tokenizers.load(tok);
        else if (needTokenizer)
            throw new UsageError(modelDir + ": no tokenizer.model or tokenizer.json (give --tokenizer FILE, or --ids)");
        if (tokenizer != null && tokenizer.vocabSize() > checkpoint.config().vocabSize())
            throw new UsageError(tok + ": tokenizer has " + tokenizer.vocabSize() + " ids but the model only " + checkpoint.config().vocabSize());
        kernels = Backends.create(Ranks.device(device));
        String path;
        if (kernels instanceof OpenClKernels cl && !Ranks.inRank() && !launchingRanks) {
            // one process on a device: weights and KV cache stay there, only ids go in and logits come out
            if (kvStorage != KvCache.Storage.F32)
                throw new UsageError("--kv-dtype " + kvStorage.name().toLowerCase() + ": the device-resident KV cache is f32 (--kv-dtype bf16 is for --device cpu)");
            deviceOps = cl.ops();
            path = ", device-resident weights and KV cache";
        } else {
            model = new LlamaModel(checkpoint.weights(), kernels);
            path = kernels instanceof OpenClKernels ? ", host arrays copied per kernel call (--ranks)" : "";
        }
        log.printf("loaded %s: %d layers, hidden %d, %s weights %.2f GiB (mapped) in %.1f s; kernels %s%s%n", modelDir,
                checkpoint.config().layers(), checkpoint.config().hiddenSize(), checkpoint.weights().dtype(),
                checkpoint.weights().bytes() / (double) (1L << 30), (System.nanoTime() - t0) / 1e9, kernels.name(), path);
    }

    /**
     * The model over a fresh KV cache of {@code needed} tokens (or --context when given), after the memory
     * plan agrees: on the device when the run is device-resident (the weights are uploaded here), else on the heap.
     */
    CachedForward forward(int needed, PrintStream log) {
        int context = contextOpt > 0 ? contextOpt : needed;
        if (context < needed)
            throw new UsageError("--context " + context + " is smaller than the " + needed + " tokens this run needs");
        int maxPos = checkpoint.config().maxPositions();
        if (context > maxPos)
            log.printf("warning: context %d exceeds max_position_embeddings %d of %s%n", context, maxPos, modelDir.resolve("config.json"));
        if (deviceOps != null) {
            if (resident != null) throw new IllegalStateException("one device-resident model per session");
            DevicePlan plan = DevicePlan.of(checkpoint.weights(), context, prefillChunk, deviceOps.context().device());
            log.println(plan.summary());
            try { plan.check(); }
            catch (IllegalArgumentException e) { throw new UsageError(e.getMessage()); }
            long t0 = System.nanoTime();
            resident = new ClLlamaModel(checkpoint.weights(), deviceOps, context, RopeStyle.ROTATE_HALF);
            deviceOps.context().finish();
            log.printf("uploaded %.2f GiB of weights and allocated the KV cache on the device in %.1f s%n",
                    plan.weightBytes() / (double) (1L << 30), (System.nanoTime() - t0) / 1e9);
            return resident;
        }
        MemoryPlan plan = MemoryPlan.of(checkpoint.config(), checkpoint.weights().bytes(), context, kvStorage, prefillChunk);
        log.println(plan.summary());
        try { plan.check(); }
        catch (IllegalArgumentException e) { throw new UsageError(e.getMessage()); }
        return model.on(model.newCache(context, kvStorage));
    }

    /** Exactly one of --prompt, --prompt-file, --ids; text is encoded with BOS. */
    int[] prompt(Args args) {
        String text = args.str("prompt", null), file = args.str("prompt-file", null), ids = args.str("ids", null);
        int given = (text != null ? 1 : 0) + (file != null ? 1 : 0) + (ids != null ? 1 : 0);
        if (given != 1) throw new UsageError("give exactly one of --prompt TEXT, --prompt-file FILE, --ids 1,2,3");
        if (ids != null) return parseIds(ids, checkpoint == null ? Integer.MAX_VALUE : checkpoint.config().vocabSize());
        if (file != null) {
            try { text = Files.readString(Path.of(file)); }
            catch (java.io.IOException e) { throw new UsageError(file + ": cannot read prompt file (" + e.getMessage() + ")"); }
        }
        if (tokenizer == null) throw new UsageError("a text prompt needs a tokenizer: none in " + modelDir + " (give --tokenizer FILE, or --ids)");
        return tokenizer.encode(text, true);
    }

    static int[] parseIds(String s, int vocab) {
        List<Integer> out = new ArrayList<>();
        String[] parts = s.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            int v;
            try { v = Integer.parseInt(p); }
            catch (NumberFormatException e) { throw new UsageError("--ids: item " + (i + 1) + " '" + p + "' is not an integer"); }
            if (v < 0 || v >= vocab) throw new UsageError("--ids: item " + (i + 1) + " id " + v + " is outside the vocabulary [0, " + vocab + ")");
            out.add(v);
        }
        if (out.isEmpty()) throw new UsageError("--ids: no ids");
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Prints prefill progress (tokens/s, ETA) at most once a second for long prompts. */
    static Generator.Listener progress(PrintStream log, java.util.function.IntPredicate onToken) {
        return new Generator.Listener() {
            double lastPrint = 0;
            @Override public void prefill(int done, int total, double seconds) {
                if (total < 2048 || (seconds - lastPrint < 1 && done < total)) return;
                lastPrint = seconds;
                double rate = done / Math.max(seconds, 1e-9);
                log.printf("prefill %d/%d tokens, %.1f tok/s, ETA %s%n", done, total, rate, eta((total - done) / rate));
            }
            @Override public boolean token(int id) { return onToken.test(id); }
        };
    }

    static String eta(double s) {
        if (s < 60) return String.format("%.0f s", s);
        if (s < 3600) return String.format("%dm %02ds", (int) s / 60, (int) s % 60);
        return String.format("%dh %02dm", (int) s / 3600, ((int) s % 3600) / 60);
    }

    @Override
    public void close() throws Exception {
        if (resident != null) resident.close();
        if (kernels instanceof AutoCloseable c) c.close(); // worker threads of the vector backend, the OpenCL context
        if (checkpoint != null) checkpoint.close();
    }
}
