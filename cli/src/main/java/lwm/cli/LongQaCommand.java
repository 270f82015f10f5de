package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.config.DeviceConfig;
import lwm.kernels.Backends;
import lwm.kernels.Kernels;
import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.Sampler;
import lwm.model.TensorSource;
import lwm.model.data.Document;
import lwm.model.data.LongQa;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsCheckpoint;
import lwm.tokenizer.ChatTemplate;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code ./lwm data qa}: LWM's long-document QA chat data (spec §7.2). Each 1000-token chunk of a book is
 * given to a model (through the inference engine) with a request for one question and answer; adjacent
 * chunks are then joined into long contexts followed by their pairs as chat turns. Writes pre-tokenised
 * {@code {"ids", "loss_mask"}} training records and, beside them, the raw pairs ({@code .pairs.jsonl}).
 */
final class LongQaCommand {
    private LongQaCommand() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static int run(Args args) throws IOException {
        Path book = Path.of(args.required("book"));
        Path modelDir = Path.of(args.required("model"));
        Path tokPath = Path.of(args.str("tokenizer", modelDir.toString()));
        Path output = Path.of(args.required("output"));
        int chunk = args.integer("chunk", 1000), context = args.integer("context", 32768), maxNew = args.integer("max-new", 128);
        int limit = args.integer("limit", Integer.MAX_VALUE);
        double temperature = args.real("temperature", 0);
        long seed = args.longValue("seed", 0);
        DeviceConfig device = Ranks.device(args.str("device", null));
        args.finish();
        if (chunk < 16) throw new UsageError("--chunk must be at least 16 tokens");
        if (maxNew < 1) throw new UsageError("--max-new must be positive");
        if (!Files.isRegularFile(book)) throw new UsageError(book + ": no such book file");

        Tokenizer tok = Tokenizers.load(tokPath);
        LlamaConfig cfg = LlamaConfig.read(modelDir.resolve("config.json"));
        Kernels k = Backends.create(device);
        List<String> books = readBooks(book);
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(modelDir)) {
            LlamaModel model = new LlamaModel(LlamaWeights.from(cfg, source(ck)), k);
            ChatTemplate chat = new ChatTemplate(tok);
            StringBuilder records = new StringBuilder(), pairsOut = new StringBuilder();
            int asked = 0, parsed = 0, examples = 0;
            long t0 = System.nanoTime();
            for (int b = 0; b < books.size() && asked < limit; b++) {
                List<int[]> chunks = LongQa.chunks(tok.encodeLiteral(books.get(b)), chunk);
                int n = Math.min(chunks.size(), limit - asked);
                List<String> texts = new ArrayList<>();
                List<LongQa.QaPair> pairs = new ArrayList<>();
                int[] sizes = new int[n], pairTokens = new int[n];
                for (int c = 0; c < n; c++) {
                    String text = tok.decode(chunks.get(c));
                    texts.add(text);
                    sizes[c] = chunks.get(c).length;
                    int[] prompt = chat.prompt(LongQa.prompt(text));
                    Generator g = new Generator(model, model.newCache(prompt.length + maxNew, KvCache.Storage.F32), 512);
                    Sampler sampler = temperature == 0 ? Sampler.greedy() : new Sampler(temperature, 0, 1, seed + asked);
                    Generator.Result r = g.generate(prompt, maxNew, sampler, id -> id == tok.eosId(), new Generator.Listener() {});
                    String reply = tok.decode(r.newTokens());
                    LongQa.QaPair p = LongQa.parse(c, reply);
                    asked++;
                    ObjectNode raw = JSON.createObjectNode().put("book", b).put("chunk", c).put("reply", reply).put("parsed", p != null);
                    if (p != null) {
                        parsed++;
                        pairs.add(p);
                        pairTokens[c] = tok.encodeLiteral("USER: " + p.question() + " ASSISTANT: " + p.answer()).length + 1;
                        raw.put("question", p.question()).put("answer", p.answer());
                    }
                    pairsOut.append(raw).append('\n');
                    double secs = (System.nanoTime() - t0) / 1e9, per = secs / asked;
                    int total = Math.min(limit, asked + (n - c - 1));
                    System.out.printf("book %d chunk %d/%d: %s (%d prompt tokens, %.1f tok/s decode) ETA %s%n", b + 1, c + 1, n,
                            p != null ? "QA pair" : "no parsable pair", prompt.length, r.decodeTokensPerSecond(), eta(per * (total - asked)));
                }
                for (int[] grp : LongQa.groups(sizes, pairTokens, context)) {
                    List<LongQa.QaPair> mine = pairs.stream().filter(p -> p.chunk() >= grp[0] && p.chunk() < grp[1]).toList();
                    if (mine.isEmpty()) continue;
                    Document d = LongQa.example(tok, texts.subList(grp[0], grp[1]), mine);
                    ObjectNode rec = JSON.createObjectNode();
                    ArrayNode ids = rec.putArray("ids"), mask = rec.putArray("loss_mask");
                    for (int i = 0; i < d.length(); i++) { ids.add(d.ids()[i]); mask.add((int) d.mask(i)); }
                    rec.put("book", b).putArray("chunks").add(grp[0]).add(grp[1]);
                    records.append(rec).append('\n');
                    examples++;
                }
            }
            writeAtomically(output, records.toString());
            Path pairsFile = output.resolveSibling(output.getFileName().toString().replaceFirst("\\.jsonl$", "") + ".pairs.jsonl");
            writeAtomically(pairsFile, pairsOut.toString());
            System.out.printf("%d of %d chunks gave a parsable QA pair; %d training examples (context <= %d tokens) in %s; replies in %s%n",
                    parsed, asked, examples, context, output, pairsFile);
        }
        return 0;
    }

    static String eta(double s) {
        long x = Math.round(Math.max(0, s));
        return String.format("%d:%02d:%02d", x / 3600, x / 60 % 60, x % 60);
    }

    /** A .jsonl file is one book per {"text"} record; any other file is one book of plain text. */
    static List<String> readBooks(Path f) throws IOException {
        if (!f.getFileName().toString().endsWith(".jsonl")) return List.of(Files.readString(f));
        List<String> out = new ArrayList<>();
        int line = 0;
        for (String s : Files.readAllLines(f)) {
            line++;
            if (s.isBlank()) continue;
            JsonNode n;
            try { n = JSON.readTree(s); } catch (IOException e) { throw new UsageError(f + ":" + line + ": invalid JSON"); }
            if (!n.path("text").isTextual()) throw new UsageError(f + ":" + line + ": field 'text' must be a string");
            out.add(n.get("text").textValue());
        }
        if (out.isEmpty()) throw new UsageError(f + ": no books");
        return out;
    }

    static TensorSource source(SafetensorsCheckpoint ck) {
        return new TensorSource() {
            @Override public Collection<String> names() { return ck.names(); }
            @Override public boolean has(String name) { return ck.has(name); }
            @Override public Tensor tensor(String name) { return ck.tensor(name); }
        };
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
