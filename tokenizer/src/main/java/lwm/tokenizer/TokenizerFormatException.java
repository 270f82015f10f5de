package lwm.tokenizer;

/**
 * A tokenizer file that cannot be used: the message is one line naming the file and the field or offset.
 * Messages quote pieces read from the broken file, which may hold any character, so control characters are
 * escaped here once rather than at every place that quotes a piece.
 */
public final class TokenizerFormatException extends IllegalArgumentException {
    public TokenizerFormatException(String message) { super(oneLine(message)); }

    public TokenizerFormatException(String message, Throwable cause) { super(oneLine(message), cause); }

    static String oneLine(String message) {
        StringBuilder b = new StringBuilder(message.length());
        message.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }
}
