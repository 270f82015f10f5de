package lwm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * SentencePiece's text normalisation, byte for byte: an optional precompiled character map (the
 * {@code nmt_nfkc} rules, a Darts double-array trie plus a table of replacement strings), user-defined
 * pieces passed through untouched, extra-whitespace removal, the dummy-prefix "▁" and escaping of
 * spaces as "▁" (U+2581).
 */
final class SentencePieceNormalizer {
    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private final boolean addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces;
    private final byte[][] userDefined;  // sorted longest first
    private final int[] trie;            // Darts double-array units, empty for the identity rule
    private final byte[] replacements;   // NUL-terminated strings the trie values point into

    /** Result of {@link #prefix}: the normalised bytes are src[off, off+len); {@code consumed} input bytes were used. */
    private static final class Span {
        byte[] src;
        int off, len, consumed;
    }

    SentencePieceNormalizer(SentencePieceModel m, List<String> userDefinedPieces) {
        this.addDummyPrefix = m.addDummyPrefix;
        this.removeExtraWhitespaces = m.removeExtraWhitespaces;
        this.escapeWhitespaces = m.escapeWhitespaces;
        this.userDefined = userDefinedPieces.stream().map(p -> p.getBytes(StandardCharsets.UTF_8))
                .sorted((a, b) -> b.length - a.length).toArray(byte[][]::new);
        byte[] blob = m.charsmap;
        if (blob.length == 0) {
            trie = new int[0];
            replacements = new byte[0];
        } else {
            if (blob.length <= 4) throw new TokenizerFormatException(m.source + ": normalizer_spec.precompiled_charsmap is broken (" + blob.length + " bytes)");
            long trieBytes = le32(blob, 0) & 0xffffffffL;
            if (trieBytes >= blob.length - 4 || trieBytes % 4 != 0)
                throw new TokenizerFormatException(m.source + ": normalizer_spec.precompiled_charsmap is broken (trie size " + trieBytes + " of " + blob.length + " bytes)");
            trie = new int[(int) trieBytes / 4];
            for (int i = 0; i < trie.length; i++) trie[i] = le32(blob, 4 + 4 * i);
            replacements = Arrays.copyOfRange(blob, 4 + (int) trieBytes, blob.length);
        }
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    /** Normalises UTF-8 input; the result is UTF-8 again. */
    byte[] normalize(byte[] in) {
        int pos = 0, n = in.length;
        Span p = new Span();  // per call: the normaliser is shared between threads
        if (removeExtraWhitespaces) {
            while (pos < n) {
                prefix(in, pos, p);
                if (!(p.len == 1 && p.src[p.off] == ' ')) break;
                pos += p.consumed;
            }
        }
        if (pos == n) return new byte[0];
        ByteBuf out = new ByteBuf(n + n / 2 + 8);
        if (addDummyPrefix) addSpace(out);
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < n) {
            prefix(in, pos, p);
            byte[] src = p.src;
            int s = p.off, e = p.off + p.len;
            while (prevSpace && s < e && src[s] == ' ') s++;
            if (s < e) {
                for (int i = s; i < e; i++) {
                    if (escapeWhitespaces && src[i] == ' ') out.add(SPACE_SYMBOL, 0, SPACE_SYMBOL.length);
                    else out.add(src[i]);
                }
                prevSpace = src[e - 1] == ' ';
            }
            pos += p.consumed;
            if (!removeExtraWhitespaces) prevSpace = false;
        }
        if (removeExtraWhitespaces) {
            byte[] space = escapeWhitespaces ? SPACE_SYMBOL : new byte[] {' '};
            while (out.endsWith(space)) out.size -= space.length;
        }
        return out.toArray();
    }

    private void addSpace(ByteBuf out) {
        if (escapeWhitespaces) out.add(SPACE_SYMBOL, 0, SPACE_SYMBOL.length);
        else out.add((byte) ' ');
    }

    /** Normalises the shortest usable prefix of in[pos..]: a user-defined piece, a charsmap entry or one character. */
    private void prefix(byte[] in, int pos, Span p) {
        for (byte[] u : userDefined) {
            if (startsWith(in, pos, u)) { p.src = in; p.off = pos; p.len = p.consumed = u.length; return; }
        }
        int bestLen = 0, bestValue = 0;
        if (trie.length > 0) {
            int node = offset(trie[0]);
            for (int i = pos; i < in.length; i++) {
                int key = in[i] & 0xff;
                node ^= key;
                if (node < 0 || node >= trie.length) break;
                int unit = trie[node];
                if ((unit & 0x800000ff) != key) break;
                node ^= offset(unit);
                if (((unit >>> 8) & 1) == 1) {
                    if (node < 0 || node >= trie.length) break;
                    bestLen = i + 1 - pos;
                    bestValue = trie[node] & 0x7fffffff;
                }
            }
        }
        if (bestLen > 0) {
            int end = bestValue;
            while (end < replacements.length && replacements[end] != 0) end++;
            p.src = replacements; p.off = bestValue; p.len = end - bestValue; p.consumed = bestLen;
            return;
        }
        int charLen = Utf8.validCharLength(in, pos, in.length);
        if (charLen <= 0) { p.src = REPLACEMENT; p.off = 0; p.len = REPLACEMENT.length; p.consumed = 1; }
        else { p.src = in; p.off = pos; p.len = p.consumed = charLen; }
    }

    private static int offset(int unit) { return (unit >>> 10) << ((unit & (1 << 9)) >>> 6); }

    private static boolean startsWith(byte[] in, int pos, byte[] p) {
        if (in.length - pos < p.length) return false;
        for (int i = 0; i < p.length; i++) if (in[pos + i] != p[i]) return false;
        return true;
    }

    /** Growable byte array. */
    static final class ByteBuf {
        byte[] data;
        int size;

        ByteBuf(int cap) { data = new byte[Math.max(16, cap)]; }

        void add(byte b) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = b;
        }

        void add(byte[] b, int from, int n) {
            if (size + n > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + n));
            System.arraycopy(b, from, data, size, n);
            size += n;
        }

        boolean endsWith(byte[] b) {
            if (size < b.length) return false;
            for (int i = 0; i < b.length; i++) if (data[size - b.length + i] != b[i]) return false;
            return true;
        }

        byte[] toArray() { return Arrays.copyOf(data, size); }
    }
}
