package lwm.model.data;

import lwm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LWM's model-generated long-document QA chat data (spec §7.2): a book is cut into chunks of about
 * 1000 tokens, a short-context model writes one question-answer pair per chunk, then adjacent chunks
 * are joined into one long context followed by the QA pairs of those chunks as chat turns. Only the
 * answers (and their EOS) carry loss, which is why such rows have under 1% loss tokens and are packed
 * apart from dense chat data.
 *
 * <p>The chat layout is LWM-Text-Chat's ({@code lwm.tokenizer.ChatTemplate}):
 * {@code <s>You are a helpful assistant. USER: {context}\n\n{q1} ASSISTANT: {a1}</s>USER: {q2} ASSISTANT: {a2}</s>...}
 */
public final class LongQa {
    private LongQa() {}

    public static final String SYSTEM = "You are a helpful assistant.";

    /** One generated pair, about chunk {@code chunk} of the book. */
    public record QaPair(int chunk, String question, String answer) {}

    /** Consecutive pieces of {@code chunkTokens} ids (the last may be shorter). */
    public static List<int[]> chunks(int[] ids, int chunkTokens) {
        if (chunkTokens <= 0) throw new IllegalArgumentException("chunk size must be positive, got " + chunkTokens);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i += chunkTokens) out.add(Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunkTokens)));
        return out;
    }

    /** The request put to the generating model for one chunk. */
    public static String prompt(String passage) {
        return "Read the passage below, then write one question that can be answered only from the passage, and its answer.\n\n"
                + "Passage:\n" + passage.strip() + "\n\n"
                + "Reply in exactly this form:\nQuestion: <the question>\nAnswer: <the answer>";
    }

    private static final Pattern QA = Pattern.compile("(?is)question\\s*:\\s*(.+?)\\s*answer\\s*:\\s*(.+)");

    /** The pair in a model's reply, or null when the reply does not have the asked-for form. */
    public static QaPair parse(int chunk, String reply) {
        Matcher m = QA.matcher(reply);
        if (!m.find()) return null;
        String q = m.group(1).strip(), a = m.group(2).strip();
        int cut = a.indexOf("\nQuestion");
        if (cut >= 0) a = a.substring(0, cut).strip(); // a model that goes on with a second pair
        if (q.isEmpty() || a.isEmpty()) return null;
        return new QaPair(chunk, q, a);
    }

    /**
     * The training example for chunks {@code texts} and their pairs: ids with a loss mask that is 1 exactly
     * on the answer tokens and the EOS after each answer. Each turn is encoded as one piece of text, as
     * the chat template does, so the ids are what the model sees at inference.
     */
    public static Document example(Tokenizer tok, List<String> texts, List<QaPair> pairs) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("an example needs at least one QA pair");
        if (tok.bosId() < 0 || tok.eosId() < 0) throw new IllegalArgumentException("the tokenizer needs BOS and EOS tokens for the chat format");
        String context = String.join("", texts).strip();
        List<Integer> ids = new ArrayList<>();
        List<Float> mask = new ArrayList<>();
        ids.add(tok.bosId());
        mask.add(0f);
        for (int i = 0; i < pairs.size(); i++) {
            QaPair p = pairs.get(i);
            String prefix = (i == 0 ? SYSTEM + " USER: " + context + "\n\n" : "USER: ") + p.question() + " ASSISTANT:";
            int[] prefixIds = tok.encodeLiteral(prefix);
            int[] turn = tok.encodeLiteral(prefix + " " + p.answer());
            int same = 0; // the answer starts where the two encodings part (normally exactly after the prefix)
            while (same < prefixIds.length && same < turn.length && prefixIds[same] == turn[same]) same++;
            for (int t = 0; t < turn.length; t++) { ids.add(turn[t]); mask.add(t >= same ? 1f : 0f); }
            ids.add(tok.eosId());
            mask.add(1f);
        }
        int[] a = new int[ids.size()];
        float[] m = new float[a.length];
        for (int i = 0; i < a.length; i++) { a[i] = ids.get(i); m[i] = mask.get(i); }
        return new Document(a, m, null);
    }

    /**
     * Groups consecutive chunks into examples of at most {@code contextTokens} tokens (context plus QA
     * turns, estimated from the chunk sizes and a per-pair allowance), each with the pairs of its chunks.
     * Chunks without a pair still add context.
     */
    public static List<int[]> groups(int[] chunkSizes, int[] pairTokens, int contextTokens) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        while (start < chunkSizes.length) {
            int end = start, used = 16; // BOS, system prompt
            while (end < chunkSizes.length && (end == start || used + chunkSizes[end] + pairTokens[end] <= contextTokens)) {
                used += chunkSizes[end] + pairTokens[end];
                end++;
            }
            out.add(new int[] {start, end});
            start = end;
        }
        return out;
    }
}
