package lwm.tokenizer;

import java.util.Arrays;

/**
 * Incremental decoding of generated tokens. Each {@link #push} returns the new text that the token completes
 * ("" while a multi-byte character is still split across byte-fallback tokens); the concatenation of
 * everything returned plus {@link #flush()} equals {@code decode(allIds)}.
 *
 * <p>It decodes a short window: the ids already printed since the last emitted token (the "prefix", kept so
 * that leading-space rules act on it as in a full decode) and the pending ones, and emits the difference.
 * Cost per token is O(window), not O(everything generated). This is the algorithm of tokenizers' DecodeStream;
 * like it, a tokenizer.json byte run that turns invalid after a valid prefix was printed (tokenizers then decodes
 * the whole run as U+FFFDs) streams the prefix as text: models do not emit such runs in practice.
 * One instance per generated stream; it is not thread-safe (the tokenizer it wraps is).
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private int[] ids = new int[16];
    private int size;
    private int prefixStart;  // first id of the already-printed context
    private int readStart;    // first id not yet printed

    public StreamDecoder(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    public String push(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixStart, readStart));
        String full = tokenizer.decode(Arrays.copyOfRange(ids, prefixStart, size));
        if (full.length() > prefix.length() && !full.endsWith("\uFFFD") && full.startsWith(prefix)) {
            prefixStart = readStart;
            readStart = size;
            compact();
            return full.substring(prefix.length());
        }
        return "";
    }

    /** Whatever is still held back (an incomplete byte sequence at the end decodes to U+FFFD). */
    public String flush() {
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixStart, readStart));
        String full = tokenizer.decode(Arrays.copyOfRange(ids, prefixStart, size));
        prefixStart = readStart = size;
        compact();
        return full.startsWith(prefix) ? full.substring(prefix.length()) : full;
    }

    private void compact() {
        if (prefixStart > 1024) {
            System.arraycopy(ids, prefixStart, ids, 0, size - prefixStart);
            size -= prefixStart;
            readStart -= prefixStart;
            prefixStart = 0;
        }
    }
}
