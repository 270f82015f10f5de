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
 * {@code ./lwm bench tokenize}: encoding a whole book with the Java SentencePiece BPE tokenizer against
 * SentencePiece itself (python3-sentencepiece, C++), same model, same text; the ids must be identical.
 */
final class TokenizerWorkload implements Workload {
    public String name() { return "tokenize"; }

    public String summary() { return "encode a whole book: Java SentencePiece BPE vs SentencePiece (C++), ids checked equal"; }

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
            int[] want = Arrays.stream(Files.readString(work.resolve("ids.txt")).split(",")).mapToInt(Integer::parseInt).toArray();

            Tokenizer tok = Tokenizers.load(work.resolve("m.model"));
            int[] ids = null;
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeat + 1; i++) {  // one extra run warms up the JIT
                long t0 = System.nanoTime();
                ids = tok.encode(text, false);
                double s = (System.nanoTime() - t0) / 1e9;
                if (i > 0 || repeat == 0) best = Math.min(best, s);
                out.printf("  java run %d: %.3f s%n", i, s);
            }
            boolean same = Arrays.equals(want, ids);
            if (!same) throw new IllegalStateException("Java ids differ from SentencePiece's (" + ids.length + " vs " + want.length + " tokens)");
            double javaRate = ids.length / best, peerRate = want.length / peer.get("seconds").asDouble();
            out.printf("%-28s %14s %12s%n", "", "tokens/s", "seconds");
            out.printf("%-28s %,14.0f %12.3f%n", "Java SentencePieceTokenizer", javaRate, best);
            out.printf("%-28s %,14.0f %12.3f%n", "SentencePiece (C++, python)", peerRate, peer.get("seconds").asDouble());
            out.printf("tokens: %,d, identical ids: %s; machine shared and loaded (load average %.1f): figures are indicative%n",
                    ids.length, same, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            return new BenchResult("tokenize", javaRate, peerRate, "tokens/s")
                    .with("tokens", ids.length).with("chars", text.length()).with("vocab", vocab).with("identical", same);
        } finally {
            try (var files = Files.walk(work)) { files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); }
        }
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
