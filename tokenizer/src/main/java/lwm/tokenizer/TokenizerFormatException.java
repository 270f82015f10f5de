package lwm.tokenizer;

/** A tokenizer file that cannot be used: the message is one line naming the file and the field or offset. */
public final class TokenizerFormatException extends IllegalArgumentException {
    public TokenizerFormatException(String message) { super(message); }

    public TokenizerFormatException(String message, Throwable cause) { super(message, cause); }
}
