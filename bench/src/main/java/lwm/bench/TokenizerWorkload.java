package lwm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./lwm bench tokenize}: encoding a book (line by line, and as one string) with the Java SentencePiece BPE tokenizer against
 * SentencePiece itself (python3-sentencepiece, C++), same model, same text; the ids must be identical.
 */
final class TokenizerWorkload implements Workload {
    public String name() { return "tokenize"; }

    public String summary() { return "encode a book (line by line and whole): Java SentencePiece BPE vs SentencePiece C++, ids checked equal"; }

    public BenchResult run(Map<String, String> options, PrintStream out) throws Exception {
        int vocab = Integer.parseInt(options.getOrDefault("vocab", "8000"));
        int repeat = Integer.parseInt(options.getOrDefault("repeat", "3"));
        int chars = Integer.parseInt(options.getOrDefault("chars", "2000000"));
        Path work = Files.createTempDirectory("lwm-bench-tok-");
        try {
            Path book = work.resolve("book.txt");
            if (options.containsKey("file")) Files.copy(Path.of(options.get("file")), book);
            else Files.writeString(book, syntheticBook(chars, 42), StandardCharsets.UTF_8);
            String text = Files.readString(book, StandardCharsets.UTF_8);
            out.printf("book: %,d chars (%s); training a %d-piece BPE model with byte fallback ...%n",
                    text.length(), options.containsKey("file") ? options.get("file") : "synthetic", vocab);

            Path script = work.resolve("sp_peer.py");
            try (InputStream in = TokenizerWorkload.class.getResourceAsStream("sp_peer.py")) { Files.copy(in, script); }
            String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
            Process p = new ProcessBuilder(python, script.toString(), book.toString(), work.resolve("m").toString(),
                    String.valueOf(vocab), String.valueOf(repeat), work.resolve("ids.txt").toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("sp_peer.py failed:\n" + log);
            JsonNode peer = new ObjectMapper().readTree(log.lines().reduce((a, b) -> b).orElseThrow());
            int[] wantLines = readIds(work.resolve("ids.txt")), wantBook = readIds(work.resolve("ids.txt.book"));

            Tokenizer tok = Tokenizers.load(work.resolve("m.model"));
            String[] lines = text.split("\n", -1);  // as Python's str.split("\n")
            int[][] result = new int[1][];
            double lineSecs = bestOf(repeat, out, "java, line by line", () -> {
                IntList all = new IntList(text.length() / 3);
                for (String line : lines) all.addAll(tok.encode(line, false));
                result[0] = all.toArray();
            });
            if (!Arrays.equals(wantLines, result[0]))
                throw new IllegalStateException("Java ids differ from SentencePiece's, line by line (" + result[0].length + " vs " + wantLines.length + " tokens)");
            double bookSecs = bestOf(repeat, out, "java, whole book", () -> result[0] = tok.encode(text, false));
            if (!Arrays.equals(wantBook, result[0]))
                throw new IllegalStateException("Java ids differ from SentencePiece's, whole book (" + result[0].length + " vs " + wantBook.length + " tokens)");

            double javaRate = wantLines.length / lineSecs, peerRate = wantLines.length / peer.get("lines_seconds").asDouble();
            double javaBook = wantBook.length / bookSecs, peerBook = wantBook.length / peer.get("book_seconds").asDouble();
            out.printf("%-44s %14s %12s%n", "", "tokens/s", "seconds");
            out.printf("%-44s %,14.0f %12.3f%n", "Java SentencePieceTokenizer, line by line", javaRate, lineSecs);
            out.printf("%-44s %,14.0f %12.3f%n", "SentencePiece (C++, 1 thread), line by line", peerRate, peer.get("lines_seconds").asDouble());
            out.printf("%-44s %,14.0f %12.3f%n", "Java SentencePieceTokenizer, whole book", javaBook, bookSecs);
            out.printf("%-44s %,14.0f %12.3f%n", "SentencePiece (C++), whole book", peerBook, peer.get("book_seconds").asDouble());
            out.printf("tokens: %,d (lines) / %,d (book), ids identical to SentencePiece's in both; machine shared and loaded "
                    + "(load average %.1f): figures are indicative%n", wantLines.length, wantBook.length,
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            return new BenchResult("tokenize", javaRate, peerRate, "tokens/s")
                    .with("tokens", wantLines.length).with("chars", text.length()).with("vocab", vocab).with("identical", true)
                    .with("book_java", javaBook).with("book_peer", peerBook);
        } finally {
            try (var files = Files.walk(work)) { files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); }
        }
    }

    private static int[] readIds(Path p) throws java.io.IOException {
        String s = Files.readString(p).strip();
        return s.isEmpty() ? new int[0] : Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** Best time of {@code repeat} runs after one warm-up run. */
    private static double bestOf(int repeat, PrintStream out, String what, Runnable r) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= Math.max(1, repeat); i++) {
            long t0 = System.nanoTime();
            r.run();
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf("  %s, run %d%s: %.3f s%n", what, i, i == 0 ? " (warm-up)" : "", s);
            if (i > 0) best = Math.min(best, s);
        }
        return best;
    }

    /** Growable int array. */
    private static final class IntList {
        int[] a;
        int n;
        IntList(int cap) { a = new int[Math.max(16, cap)]; }
        void addAll(int[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(2 * a.length, n + v.length));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }
        int[] toArray() { return Arrays.copyOf(a, n); }
    }

    /** English-like prose with some numbers, punctuation, non-Latin scripts and emoji, in lines of a few sentences. */
    static String syntheticBook(int chars, long seed) {
        String[] words = ("the of and to in a is was that for it with as his on be at by had are but from or have an they which one "
                + "you were her all she there would their we him been has when who will more no if out so said what up its about "
                + "into than them can only other new some could time these two may then do first any my now such like our over "
                + "man me even most made after also did many before must through back years where much your way well down should "
                + "because each just those people how too little state good very make world still own see men work long get here "
                + "between both life being under never day same another know while last might us great old year off come since "
                + "against go came right used take three house garden river mountain ocean light darkness morning evening").split(" ");
        String[] rare = {"café", "naïve", "Zürich", "日本語", "東京", "Привет", "мир", "🤖", "🚀", "ελληνικά", "—", "“quoted”"};
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder(chars + 200);
        while (b.length() < chars) {
            int sentences = 1 + r.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                int n = 4 + r.nextInt(18);
                for (int i = 0; i < n; i++) {
                    String w = r.nextDouble() < 0.03 ? rare[r.nextInt(rare.length)]
                            : r.nextDouble() < 0.03 ? String.valueOf(r.nextInt(100000)) : words[r.nextInt(words.length)];
                    if (i == 0) w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                    b.append(w).append(i == n - 1 ? "" : r.nextDouble() < 0.08 ? ", " : " ");
                }
                b.append(r.nextDouble() < 0.8 ? ". " : r.nextBoolean() ? "? " : "! ");
            }
            b.setLength(b.length() - 1);
            b.append(r.nextDouble() < 0.2 ? "\n\n" : "\n");
        }
        return b.toString();
    }
}
