package lwm.cli;

import lwm.model.data.Document;
import lwm.model.data.JsonlDocuments;
import lwm.model.data.PackedRow;
import lwm.model.data.PackingLoader;
import lwm.model.data.TextEncoder;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code ./lwm data <stats|qa>}: training-data tools. {@code stats} shows what the packing loader makes of a
 * JSONL file; {@code qa} builds LWM's model-generated long-document QA chat data.
 */
final class DataCommand implements Command {
    public String name() { return "data"; }
    public String summary() { return "training data: stats (documents, packing) | qa (long-document QA chat data)"; }

    static final String USAGE = """
            usage: ./lwm data stats --input FILE.jsonl [--tokenizer PATH] [--seq-len N] [--rows N] [--seed S]
                     documents, token lengths, and how the first rows pack (fill, examples per row, loss tokens)
                   ./lwm data qa --book FILE --model DIR [--tokenizer PATH] --output FILE.jsonl
                         [--chunk 1000] [--context TOKENS] [--max-new 128] [--limit CHUNKS]
                     LWM long-document QA (spec 7.2): the book is cut into chunks, the model writes one question
                     and answer per chunk, adjacent chunks are joined into long contexts followed by their QA
                     turns in the chat format; the output is pre-tokenised {"ids", "loss_mask"} records.""";

    public int run(Args args) throws Exception {
        if (args.positional().isEmpty() || args.has("help")) {
            System.out.println(USAGE);
            return args.positional().isEmpty() && !args.has("help") ? 2 : 0;
        }
        return switch (args.positional().get(0)) {
            case "stats" -> stats(args);
            case "qa" -> LongQaCommand.run(args);
            default -> throw new UsageError("unknown data command '" + args.positional().get(0) + "' (stats, qa)");
        };
    }

    static int stats(Args args) {
        Path input = Path.of(args.required("input"));
        String tok = args.str("tokenizer", null);
        int seq = args.integer("seq-len", 4096), rows = args.integer("rows", 100);
        long seed = args.longValue("seed", 1);
        args.finish();
        if (seq < 2) throw new UsageError("--seq-len must be at least 2");
        TextEncoder enc = tok == null ? null : Encoders.load(Path.of(tok));
        try (JsonlDocuments docs = JsonlDocuments.open(input, enc)) {
            int n = docs.size(), sample = Math.min(n, 10_000);
            int[] lens = new int[sample];
            long total = 0;
            for (int i = 0; i < sample; i++) { Document d = docs.get(i); lens[i] = d.length(); total += d.length(); }
            Arrays.sort(lens);
            System.out.printf("%s: %d documents%s%n", input, n, sample < n ? " (lengths from the first " + sample + ")" : "");
            System.out.printf("tokens per document: min %d, median %d, p90 %d, max %d, mean %.1f%n",
                    lens[0], lens[sample / 2], lens[(int) (sample * 0.9)], lens[sample - 1], (double) total / sample);
            PackingLoader l = new PackingLoader(docs, seq, seed, false, 1, PackingLoader.State.START);
            long used = 0, loss = 0, examples = 0;
            for (int r = 0; r < rows; r++) {
                PackedRow row = l.next();
                for (int t = 0; t < seq; t++) { if (row.segments()[t] != 0) used++; if (row.lossMask()[t] != 0) loss++; }
                examples += row.documents();
            }
            System.out.printf("first %d rows of %d tokens: %.1f%% filled, %.2f examples per row, %.2f%% of positions carry loss%n",
                    rows, seq, 100.0 * used / ((long) rows * seq), (double) examples / rows, 100.0 * loss / ((long) rows * seq));
        }
        return 0;
    }
}
