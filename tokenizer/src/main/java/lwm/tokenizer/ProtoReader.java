package lwm.tokenizer;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Minimal protocol-buffers wire-format reader over a byte range: just what SentencePiece's ModelProto needs.
 * Errors carry the absolute byte offset so that a corrupt file is reported precisely.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH = 2, FIXED32 = 5;

    private final byte[] buf;
    private final String where;
    private int pos;
    private final int end;
    private int tag;

    ProtoReader(byte[] buf, int from, int to, String where) {
        this.buf = buf; this.pos = from; this.end = to; this.where = where;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long t = varint();
        if (t <= 0 || t > Integer.MAX_VALUE) throw error("invalid field tag " + t);
        tag = (int) t;
        return true;
    }

    int field() { return tag >>> 3; }

    int wireType() { return tag & 7; }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw error("truncated varint");
            byte b = buf[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw error("varint longer than 10 bytes");
    }

    float fixed32Float() {
        expect(FIXED32);
        if (end - pos < 4) throw error("truncated fixed32");
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(v);
    }

    int int32() { expect(VARINT); return (int) varint(); }

    boolean bool() { expect(VARINT); return varint() != 0; }

    /** A length-delimited field as a sub-reader (for nested messages). */
    ProtoReader message(String name) {
        int[] r = lengthRange();
        return new ProtoReader(buf, r[0], r[1], where + " " + name);
    }

    byte[] bytes() {
        int[] r = lengthRange();
        byte[] out = new byte[r[1] - r[0]];
        System.arraycopy(buf, r[0], out, 0, out.length);
        return out;
    }

    String string() {
        int[] r = lengthRange();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, r[0], r[1] - r[0])).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFormatException(where + ": string at byte " + r[0] + " is not valid UTF-8");
        }
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH -> lengthRange();
            case FIXED32 -> advance(4);
            default -> throw error("unsupported wire type " + wireType() + " for field " + field());
        }
    }

    private void advance(int n) {
        if (end - pos < n) throw error("truncated field " + field());
        pos += n;
    }

    private int[] lengthRange() {
        expect(LENGTH);
        long len = varint();
        if (len < 0 || len > end - pos) throw error("field " + field() + " of length " + len + " runs past the end (truncated file?)");
        int from = pos;
        pos += (int) len;
        return new int[] {from, pos};
    }

    private void expect(int wire) {
        if (wireType() != wire) throw error("field " + field() + " has wire type " + wireType() + ", expected " + wire);
    }

    TokenizerFormatException error(String what) {
        return new TokenizerFormatException(where + ": " + what + " at byte " + pos);
    }
}
