package lwm.tokenizer;

/** UTF-8 validation with SentencePiece's rules (no overlong forms, no surrogates, at most U+10FFFF). */
final class Utf8 {
    private Utf8() {}

    /** Length of the valid UTF-8 character at b[pos], or -1 when the bytes there are not one. */
    static int validCharLength(byte[] b, int pos, int end) {
        int c0 = b[pos] & 0xff;
        int avail = end - pos;
        if (c0 < 0x80) return 1;
        if ((c0 & 0xe0) == 0xc0 && avail >= 2 && trail(b[pos + 1])) {
            int cp = (c0 & 0x1f) << 6 | (b[pos + 1] & 0x3f);
            return cp >= 0x80 ? 2 : -1;
        }
        if ((c0 & 0xf0) == 0xe0 && avail >= 3 && trail(b[pos + 1]) && trail(b[pos + 2])) {
            int cp = (c0 & 0x0f) << 12 | (b[pos + 1] & 0x3f) << 6 | (b[pos + 2] & 0x3f);
            return cp >= 0x800 && (cp < 0xd800 || cp >= 0xe000) ? 3 : -1;
        }
        if ((c0 & 0xf8) == 0xf0 && avail >= 4 && trail(b[pos + 1]) && trail(b[pos + 2]) && trail(b[pos + 3])) {
            int cp = (c0 & 0x07) << 18 | (b[pos + 1] & 0x3f) << 12 | (b[pos + 2] & 0x3f) << 6 | (b[pos + 3] & 0x3f);
            return cp >= 0x10000 && cp <= 0x10ffff ? 4 : -1;
        }
        return -1;
    }

    private static boolean trail(byte b) { return (b & 0xc0) == 0x80; }

    /** Parses "&lt;0xNN&gt;" to its byte value, or -1. */
    static int bytePiece(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16), lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    static String bytePieceName(int b) { return String.format("<0x%02X>", b & 0xff); }
}
