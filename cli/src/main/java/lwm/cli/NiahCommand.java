package lwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.config.DeviceConfig;
import lwm.kernels.Backends;
import lwm.kernels.Kernels;
import lwm.model.LlamaCheckpoint;
import lwm.model.LlamaModel;
import lwm.model.niah.CharCodec;
import lwm.model.niah.GreedyResponder;
import lwm.model.niah.NiahEvaluator;
import lwm.model.niah.NiahGrid;
import lwm.model.niah.NiahReport;
import lwm.model.niah.PromptCodec;
import lwm.model.niah.TokenizerCodec;
import lwm.tokenizer.Tokenizers;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * {@code ./lwm niah --model DIR}: LWM's needle-in-a-haystack evaluation (spec §6.2) of any Hugging Face
 * LLaMA checkpoint over context lengths x depths, single or multi-needle; report.json + heat map PNG.
 */
final class NiahCommand implements Command {
    public String name() { return "niah"; }
    public String summary() { return "needle-in-a-haystack evaluation of a checkpoint (report.json + heat map)"; }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("""
                    usage: ./lwm niah --model DIR [options]

                    LWM's needle protocol: needle "The special magic {city} number is: {7 digits}" at each depth of a
                    synthetic haystack, the LWM chat prompt, greedy decoding; correct when the number appears in the reply.
                      --tokenizer FILE|char   tokenizer.json / tokenizer.model (default: the model directory's, else char:
                                              one id per ASCII character, 1 = BOS, 2 = EOS, as the demo model uses)
                      --lengths A,B,...       context lengths in tokens (default: round(linspace(min, max, n)))
                      --min-length N --max-length N --n-lengths N   (defaults 512, the model's context, 5)
                      --depths N              depths round(linspace(0, 100, N)) (default 5)
                      --trials N              prompts per cell (default 2)
                      --needles K --ask R     K needles inserted, R of them asked (default 1 and 1)
                      --max-new N             tokens to generate (default 16)
                      --seed N                prompt seed (default 0)
                      --ranks N               prefill each prompt through a ring of N ranks (RingAttention), then decode
                      --out DIR               where report.json and niah.png go (default runs/niah-<time>)
                      --device cpu|opencl:N""");
            return 0;
        }
        Path modelDir = Path.of(args.required("model"));
        String tokArg = args.str("tokenizer", null);
        String lengthsArg = args.str("lengths", null);
        int minLen = args.integer("min-length", 512), nLen = args.integer("n-lengths", 5);
        int maxLenArg = args.integer("max-length", -1);
        int depths = args.integer("depths", 5), trials = args.integer("trials", 2);
        int needles = args.integer("needles", 1), ask = args.integer("ask", 1), maxNew = args.integer("max-new", 16);
        long seed = args.longValue("seed", 0);
        int ranks = args.integer("ranks", 1);
        Path out = Path.of(args.str("out", "runs/niah-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        DeviceConfig device = Ranks.device(args.str("device", null));
        args.finish();
        if (depths < 1) throw new UsageError("--depths must be at least 1");
        if (ranks < 1 || ranks > 64) throw new UsageError("--ranks must be between 1 and 64, got " + ranks);
        if (nLen < 1) throw new UsageError("--n-lengths must be at least 1");
        if (maxNew < 8) throw new UsageError("--max-new must be at least 8 (a 7-digit number)");

        try (LlamaCheckpoint ck = LlamaCheckpoint.load(modelDir)) {
            PromptCodec codec = codec(tokArg, ck);
            int maxLen = maxLenArg > 0 ? maxLenArg : ck.config().maxPositions();
            int[] lengths;
            if (lengthsArg != null) {
                try { lengths = Arrays.stream(lengthsArg.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray(); }
                catch (NumberFormatException e) { throw new UsageError("--lengths: expected comma-separated integers, got '" + lengthsArg + "'"); }
            } else lengths = NiahGrid.linspace(Math.min(minLen, maxLen), maxLen, nLen);
            for (int l : lengths)
                if (l + maxNew > ck.config().maxPositions())
                    System.out.printf("note: context %d + %d new tokens is beyond the model's max_position_embeddings %d (measured anyway)%n",
                            l, maxNew, ck.config().maxPositions());
            NiahGrid grid;
            try { grid = new NiahGrid(lengths, NiahGrid.depthAxis(depths), trials, needles, ask, seed); }
            catch (IllegalArgumentException e) { throw new UsageError(e.getMessage()); }
            Kernels k = Backends.create(device);
            LlamaModel model = new LlamaModel(ck.weights(), k);
            System.out.printf("niah: %s (%d layers, hidden %d, vocab %d), prompts: %s, %d lengths x %d depths x %d trials, %d needle(s), %d asked%n",
                    modelDir, ck.config().layers(), ck.config().hiddenSize(), ck.config().vocabSize(),
                    codec instanceof CharCodec ? "character ids" : "tokenizer", lengths.length, depths, trials, needles, ask);
            GreedyResponder local = new GreedyResponder(model, codec, 512); // also checks the vocabulary fits
            NiahEvaluator.Responder responder = ranks == 1 ? local : new RingResponder(ck.weights(), k, codec, ranks);
            if (ranks > 1) System.out.printf("prefill: through a ring of %d ranks (RingAttention), decoding on one%n", ranks);
            NiahReport r = evaluate(grid, codec, responder, maxNew, false);
            write(r, out, "Needle retrieval: " + modelDir.getFileName(), null);
            return 0;
        }
    }

    private static PromptCodec codec(String arg, LlamaCheckpoint ck) {
        if ("char".equals(arg)) return new CharCodec();
        Path file = arg != null ? Path.of(arg) : ck.tokenizerFile();
        if (file == null) {
            System.out.println("note: " + ck.dir() + " has no tokenizer; using character ids (--tokenizer FILE to choose one)");
            return new CharCodec();
        }
        return new TokenizerCodec(Tokenizers.load(file));
    }

    /** Runs the grid with a progress line per prompt. */
    static NiahReport evaluate(NiahGrid grid, PromptCodec codec, NiahEvaluator.Responder responder, int maxNew, boolean repeats) {
        long t0 = System.nanoTime();
        long[] tokens = {0};
        return new NiahEvaluator(codec, repeats).run(grid, responder, maxNew, (done, total, c, response, ok) -> {
            tokens[0] += c.promptIds().length;
            double s = (System.nanoTime() - t0) / 1e9;
            boolean all = true;
            for (boolean b : ok) all &= b;
            System.out.printf("  [%d/%d] len %6d depth %3.0f%%  %s  expected %s  got '%s'  (%.0f prompt tok/s, ETA %.0fs)%n",
                    done, total, c.contextLength(), c.depth(), all ? "OK  " : "MISS", c.answer(),
                    response.replace("\n", " ").strip(), tokens[0] / s, s / done * (total - done));
        });
    }

    /** report.json (the report, plus {@code extra} fields) and niah.png under {@code out}; prints the table. */
    static ObjectNode write(NiahReport r, Path out, String title, ObjectNode extra) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode json = extra != null ? extra : om.createObjectNode();
        json.set("niah", r.toJson(om));
        Path png = out.resolve("niah.png");
        r.writeHeatMap(png, title);
        NiahReport.writeAtomically(out.resolve("report.json"), om.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        System.out.println(table(r));
        System.out.printf("mean accuracy %.3f%nreport: %s%nheat map: %s%n", r.mean(), out.resolve("report.json"), png);
        return json;
    }

    static String table(NiahReport r) {
        StringBuilder sb = new StringBuilder("accuracy (rows: depth %, columns: context length)\n        ");
        for (int l : r.grid().lengths()) sb.append(String.format("%7d", l));
        sb.append('\n');
        for (int d = 0; d < r.grid().depths().length; d++) {
            sb.append(String.format("%6.0f  ", r.grid().depths()[d]));
            for (double v : r.accuracy()[d]) sb.append(String.format("%7.2f", v));
            sb.append('\n');
        }
        sb.append("   mean ");
        for (double v : r.perLength()) sb.append(String.format("%7.2f", v));
        return sb.toString();
    }
}
