package lwm.tokenizer;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>{@code encode(text, true)} adds the special tokens the tokenizer's own format asks for when a sequence
 * is encoded on its own: for LLaMA/LWM that is exactly one BOS in front (SentencePiece models add only BOS;
 * a {@code tokenizer.json} applies its TemplateProcessing post-processor).
 */
public interface Tokenizer {
    int[] encode(String text, boolean addBos);

    /**
     * Encodes text in which strings such as "&lt;s&gt;" are ordinary text, never special tokens, and adds
     * nothing: for user-supplied content. (SentencePiece never splits on special strings; tokenizer.json does.)
     */
    default int[] encodeLiteral(String text) { return encode(text, false); }

    /** Decodes ids to text, leaving out special (control) tokens, as {@code decode(ids, skip_special_tokens=True)}. */
    String decode(int[] ids);

    /**
     * The text {@code id} adds when it follows {@code prev} ({@code prev < 0}: at the start). A byte-fallback
     * token that is only part of a UTF-8 sequence yields U+FFFD here; stream with {@link #streamDecoder()}.
     */
    default String decodePiece(int prev, int id) {
        if (prev < 0) return decode(new int[] {id});
        String before = decode(new int[] {prev});
        String both = decode(new int[] {prev, id});
        return both.startsWith(before) ? both.substring(before.length()) : both;
    }

    /** A decoder for generated tokens that emits text only once complete characters are known. */
    default StreamDecoder streamDecoder() { return new StreamDecoder(this); }

    int bosId();

    /** End-of-sequence id, or -1 when the tokenizer has none. */
    int eosId();

    /** One more than the largest id (embedding rows needed). */
    int vocabSize();

    /** The id of a piece as spelt in the vocabulary ("▁the", "&lt;0x0A&gt;", "&lt;s&gt;"), or -1. */
    int idOf(String piece);

    /** The vocabulary spelling of an id. */
    String pieceOf(int id);

    /** Whether {@code id} is a special/control token that {@link #decode} leaves out. */
    boolean isSpecial(int id);
}
