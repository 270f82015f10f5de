package lwm.model.data;

/**
 * Turns a text document into the token ids the model trains on (BOS ... EOS). The CLI binds it to
 * {@code lwm.tokenizer.Tokenizer}; keeping it a one-method interface lets the loader be tested and
 * used with pre-tokenised data without a tokenizer.
 */
@FunctionalInterface
public interface TextEncoder {
    int[] encode(String text);
}
