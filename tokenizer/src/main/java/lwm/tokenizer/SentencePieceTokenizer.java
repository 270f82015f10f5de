package lwm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece {@code .model} tokenizer that reproduces SentencePiece's own encoder and decoder. BPE models:
 * symbols are merged by piece score (highest first, leftmost on ties), user-defined pieces are matched
 * before anything else and never merged, unused pieces are split back into the pair they came from,
 * unknown characters fall back to {@code <0xNN>} byte pieces (or fuse into one {@code <unk>}). Unigram models:
 * the best-scoring segmentation (Viterbi, {@link SentencePieceUnigram}).
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final String SPACE = "\u2581";
    private static final char SPACE_CHAR = '\u2581';

    private final SentencePieceModel model;
    private final SentencePieceNormalizer normalizer;
    private final Map<String, Integer> pieces = new HashMap<>();    // NORMAL, USER_DEFINED, UNUSED
    private final Map<String, Integer> reserved = new HashMap<>();  // CONTROL, UNKNOWN, BYTE
    private final List<String> userDefined = new ArrayList<>();
    private final int[] byteIds = new int[256];
    private final int unkId, bosId, eosId;
    private final SentencePieceUnigram unigram;  // null for BPE models
    private final PieceTable pieceTable;          // `pieces`, probed with ranges of the text
    private final boolean wordsIndependent;       // see encodeNormalized

    public static SentencePieceTokenizer load(Path file) { return new SentencePieceTokenizer(SentencePieceModel.read(file)); }

    public static SentencePieceTokenizer fromBytes(byte[] modelProto, String name) {
        return new SentencePieceTokenizer(SentencePieceModel.parse(modelProto, name));
    }

    private SentencePieceTokenizer(SentencePieceModel m) {
        this.model = m;
        String src = m.source;
        if (m.modelType != SentencePieceModel.BPE && m.modelType != SentencePieceModel.UNIGRAM)
            throw new TokenizerFormatException(src + ": trainer_spec.model_type " + m.modelType + " (WORD/CHAR) is not supported; only BPE and UNIGRAM");
        if (m.treatWhitespaceAsSuffix)
            throw new TokenizerFormatException(src + ": trainer_spec.treat_whitespace_as_suffix is not supported");
        if (m.hasDenormalizer)
            throw new TokenizerFormatException(src + ": denormalizer_spec is not supported");
        int unk = -1;
        for (int i = 0; i < m.size(); i++) {
            String p = m.pieces.get(i);
            int t = m.types[i];
            boolean normal = t == SentencePieceModel.NORMAL || t == SentencePieceModel.USER_DEFINED || t == SentencePieceModel.UNUSED;
            if ((normal ? pieces : reserved).putIfAbsent(p, i) != null)
                throw new TokenizerFormatException(src + ": pieces[" + i + "] '" + p + "' is already defined");
            if (t == SentencePieceModel.USER_DEFINED) userDefined.add(p);
            if (t == SentencePieceModel.UNKNOWN) {
                if (unk >= 0) throw new TokenizerFormatException(src + ": pieces[" + i + "] is a second UNKNOWN piece");
                unk = i;
            }
            if (t == SentencePieceModel.BYTE) {
                if (!m.byteFallback) throw new TokenizerFormatException(src + ": pieces[" + i + "] is a BYTE piece but trainer_spec.byte_fallback is false");
                if (Utf8.bytePiece(p) < 0) throw new TokenizerFormatException(src + ": pieces[" + i + "] '" + p + "' is a BYTE piece not of the form <0xNN>");
            }
        }
        if (unk < 0) throw new TokenizerFormatException(src + ": no piece of type UNKNOWN (unk) is defined");
        unkId = unk;
        for (int b = 0; b < 256; b++) byteIds[b] = pieceToId(Utf8.bytePieceName(b));
        if (m.byteFallback) {
            for (int b = 0; b < 256; b++)
                if (byteIds[b] == unkId) throw new TokenizerFormatException(src + ": byte_fallback is set but piece " + Utf8.bytePieceName(b) + " is missing");
        }
        int bos = pieceToId(m.bosPiece), eos = pieceToId(m.eosPiece);
        bosId = isControl(bos) ? bos : -1;
        eosId = isControl(eos) ? eos : -1;
        normalizer = new SentencePieceNormalizer(m, userDefined);
        unigram = m.modelType == SentencePieceModel.UNIGRAM ? new SentencePieceUnigram(m) : null;
        pieceTable = new PieceTable(pieces);
        boolean independent = true;
        for (var e : pieces.entrySet()) {
            String p = e.getKey();
            if (isType(e.getValue(), SentencePieceModel.UNUSED)) independent = false;  // unused splits are order-dependent
            for (int i = 1; i < p.length() && independent; i++)
                if (p.charAt(i) == SPACE_CHAR && p.charAt(i - 1) != SPACE_CHAR) independent = false;
        }
        wordsIndependent = independent;
    }

    private int pieceToId(String p) {
        Integer r = reserved.get(p);
        if (r != null) return r;
        Integer n = pieces.get(p);
        return n != null ? n : unkId;
    }

    private boolean isControl(int id) { return model.types[id] == SentencePieceModel.CONTROL; }

    private boolean isType(int id, int type) { return model.types[id] == type; }

    @Override
    public int[] encode(String text, boolean addBos) {
        String normalized = new String(normalizer.normalize(text.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        IntList out = new IntList(normalized.length() / 3 + 4);
        if (addBos && bosId >= 0) out.add(bosId);
        if (!normalized.isEmpty()) encodeNormalized(normalized, out);
        return out.toArray();
    }

    /** BPE (or unigram Viterbi) over the normalised text, then SentencePiece's handling of unused, unknown and byte pieces. */
    private void encodeNormalized(String s, IntList out) {
        if (unigram != null) {
            boolean prevUnk = false;
            for (String[] piece : unigram.segment(s, unkId)) prevUnk = emit(piece[0], Map.of(), out, prevUnk);
            return;
        }
        Map<String, String[]> unusedSplits = new HashMap<>();
        Bpe work = new Bpe(s);
        if (!wordsIndependent) {
            work.run(0, s.length(), unusedSplits, out, false);
            return;
        }
        boolean prevUnk = false;
        // no piece joins a non-"▁" character to a following "▁", so words merge independently: a small heap per
        // word instead of one over the whole text (same result, much better locality on a book)
        int from = 0;
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) == SPACE_CHAR && s.charAt(i - 1) != SPACE_CHAR) {
                prevUnk = work.run(from, i, unusedSplits, out, prevUnk);
                from = i;
            }
        }
        work.run(from, s.length(), unusedSplits, out, prevUnk);
    }

    /** One BPE pass over ranges of a text; the arrays are reused from range to range. */
    private final class Bpe {
        final String s;
        // symbols are char ranges [start, end) of s linked into a list; a merged-away symbol has start == end
        final int[] start, end, prev, next;
        final boolean[] frozen;
        final MergeQueue queue = new MergeQueue();

        Bpe(String s) {
            this.s = s;
            int n = s.length();
            start = new int[n]; end = new int[n]; prev = new int[n]; next = new int[n];
            frozen = new boolean[n];
        }

        boolean run(int from, int to, Map<String, String[]> unusedSplits, IntList out, boolean prevUnk) {
            int count = 0;
            for (int i = from; i < to; ) {
                int len = userDefinedAt(s, i, to);
                frozen[count] = len > 0;
                if (len == 0) len = Character.charCount(s.codePointAt(i));
                start[count] = i;
                end[count] = i + len;
                prev[count] = count - 1;
                next[count] = i + len < to ? count + 1 : -1;
                count++;
                i += len;
            }
            if (count == 0) return prevUnk;
            queue.clear();
            for (int i = 1; i < count; i++) offer(i - 1, i, unusedSplits);
            while (!queue.isEmpty()) {
                int l = queue.topLeft(), size = queue.topPayload();
                queue.pop();
                int r = next[l];
                if (start[l] == end[l] || r < 0 || start[r] == end[r] || (end[l] - start[l]) + (end[r] - start[r]) != size) continue;
                end[l] = end[r];
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                end[r] = start[r];
                offer(prev[l], l, unusedSplits);
                offer(l, next[l], unusedSplits);
            }
            for (int i = 0; i >= 0; i = next[i]) prevUnk = emit(s.substring(start[i], end[i]), unusedSplits, out, prevUnk);
            return prevUnk;
        }

        private void offer(int l, int r, Map<String, String[]> unusedSplits) {
            if (l < 0 || r < 0 || frozen[l] || frozen[r]) return;
            int id = pieceTable.get(s, start[l], end[r]);
            if (id < 0) return;
            queue.push(MergeQueue.descending(model.scores[id]), l, end[r] - start[l]);
            if (isType(id, SentencePieceModel.UNUSED))
                unusedSplits.put(s.substring(start[l], end[r]), new String[] {s.substring(start[l], end[l]), s.substring(start[r], end[r])});
        }
    }

    /** Emits one final symbol; returns whether it was unknown (a run of unknowns becomes one {@code <unk>}). */
    private boolean emit(String w, Map<String, String[]> unusedSplits, IntList out, boolean prevUnk) {
        int id = pieceToId(w);
        if (isType(id, SentencePieceModel.UNUSED)) {
            String[] split = unusedSplits.get(w);
            if (split != null) {
                prevUnk = emit(split[0], unusedSplits, out, prevUnk);
                return emit(split[1], unusedSplits, out, prevUnk);
            }
        }
        if (isControl(id)) { out.add(id); return false; }
        boolean unk = isType(id, SentencePieceModel.UNKNOWN);
        if (unk && model.byteFallback) {
            for (byte b : w.getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xff]);
        } else if (!(unk && prevUnk)) {
            out.add(id);
        }
        return unk;
    }

    private int userDefinedAt(String s, int i, int to) {
        int best = 0;
        for (String u : userDefined) if (u.length() > best && i + u.length() <= to && s.startsWith(u, i)) best = u.length();
        return best;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        byte[] bytes = new byte[16];
        int nBytes = 0;
        boolean bosWs = true, bosWsSeen = false;
        for (int id : ids) {
            checkId(id);
            if (isType(id, SentencePieceModel.BYTE)) {
                if (nBytes == bytes.length) bytes = java.util.Arrays.copyOf(bytes, nBytes * 2);
                bytes[nBytes++] = (byte) Utf8.bytePiece(model.pieces.get(id));
                continue;
            }
            appendBytes(bytes, nBytes, text);
            nBytes = 0;
            if (bosWsSeen || !text.isEmpty()) bosWs = false;
            bosWsSeen = false;
            if (isControl(id)) continue;
            if (isType(id, SentencePieceModel.UNKNOWN)) { text.append(model.unkSurface); continue; }
            String piece = model.pieces.get(id);
            if (bosWs && (model.addDummyPrefix || model.removeExtraWhitespaces)) {
                if (piece.startsWith(SPACE)) {
                    piece = piece.substring(SPACE.length());
                    bosWsSeen = !model.removeExtraWhitespaces;
                }
            }
            text.append(piece.replace(SPACE, " "));
        }
        appendBytes(bytes, nBytes, text);
        return text.toString();
    }

    /** SentencePiece's rule for a run of byte pieces: each invalid byte becomes U+FFFD on its own. */
    private static void appendBytes(byte[] b, int n, StringBuilder text) {
        for (int i = 0; i < n; ) {
            int len = Utf8.validCharLength(b, i, n);
            if (len < 0) { text.append('\uFFFD'); i++; }
            else { text.append(new String(b, i, len, StandardCharsets.UTF_8)); i += len; }
        }
    }

    private void checkId(int id) {
        if (id < 0 || id >= model.size()) throw new IllegalArgumentException("token id " + id + " is out of range [0, " + model.size() + ")");
    }

    /** Whether BPE runs word by word (for tests). */
    boolean wordsIndependent() { return wordsIndependent; }

    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public int vocabSize() { return model.size(); }
    @Override public int idOf(String piece) {
        Integer r = reserved.get(piece);
        if (r != null) return r;
        Integer n = pieces.get(piece);
        return n != null ? n : -1;
    }
    @Override public String pieceOf(int id) { checkId(id); return model.pieces.get(id); }
    @Override public boolean isSpecial(int id) { checkId(id); return isControl(id); }

    @Override public String toString() { return (unigram != null ? "SentencePiece unigram (" : "SentencePiece BPE (") + model.size() + " pieces, " + model.source + ")"; }
}
