package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The BPE model of a Hugging Face {@code tokenizer.json}: characters (or their UTF-8 bytes as
 * {@code <0xNN>} with byte fallback) merged by the rank of the merge rule, lowest rank first and leftmost on
 * ties, through a priority queue over a linked list of symbols.
 */
final class HfBpe {
    final Map<String, Integer> vocab;
    final String[] idToToken;
    private final LongIntMap merges;  // (left id, right id) -> (rank, merged id)
    private final int unkId;
    private final boolean fuseUnk, byteFallback, ignoreMerges;
    private final String prefix, suffix;
    private final PieceTable vocabTable;     // vocab, probed with ranges of the text
    private final boolean wordsIndependent;  // see encode

    HfBpe(JsonNode m, String where) {
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new TokenizerFormatException(where + ": field model.type is " + type + "; only BPE models are supported");
        JsonNode v = m.get("vocab");
        if (v == null || !v.isObject()) throw new TokenizerFormatException(where + ": field model.vocab is missing or not an object");
        vocab = new HashMap<>(v.size() * 2);
        int max = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0)
                throw new TokenizerFormatException(where + ": field model.vocab[\"" + e.getKey() + "\"] is not a non-negative integer id");
            vocab.put(e.getKey(), e.getValue().asInt());
            max = Math.max(max, e.getValue().asInt());
        }
        idToToken = new String[max + 1];
        for (var e : vocab.entrySet()) idToToken[e.getValue()] = e.getKey();
        prefix = text(m, "continuing_subword_prefix");
        suffix = text(m, "end_of_word_suffix");
        fuseUnk = m.path("fuse_unk").asBoolean(false);
        byteFallback = m.path("byte_fallback").asBoolean(false);
        ignoreMerges = m.path("ignore_merges").asBoolean(false);
        if (!m.path("dropout").isNull() && !m.path("dropout").isMissingNode() && m.path("dropout").asDouble() > 0)
            throw new TokenizerFormatException(where + ": field model.dropout: BPE dropout is not supported");
        String unk = text(m, "unk_token");
        if (unk != null) {
            Integer id = vocab.get(unk);
            if (id == null) throw new TokenizerFormatException(where + ": field model.unk_token '" + unk + "' is not in model.vocab");
            unkId = id;
        } else unkId = -1;
        JsonNode ms = m.get("merges");
        if (ms == null || !ms.isArray()) throw new TokenizerFormatException(where + ": field model.merges is missing or not an array");
        merges = new LongIntMap(ms.size());
        for (int rank = 0; rank < ms.size(); rank++) {
            JsonNode e = ms.get(rank);
            String a, b;
            if (e.isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ');
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0)
                    throw new TokenizerFormatException(where + ": field model.merges[" + rank + "] '" + s + "' is not two tokens separated by one space");
                a = s.substring(0, sp); b = s.substring(sp + 1);
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                a = e.get(0).asText(); b = e.get(1).asText();
            } else throw new TokenizerFormatException(where + ": field model.merges[" + rank + "] is neither \"a b\" nor [\"a\", \"b\"]");
            Integer ia = vocab.get(a), ib = vocab.get(b);
            String merged = prefix != null && b.startsWith(prefix) ? a + b.substring(prefix.length()) : a + b;
            Integer im = vocab.get(merged);
            if (ia == null || ib == null || im == null)
                throw new TokenizerFormatException(where + ": field model.merges[" + rank + "] uses a token missing from model.vocab ('"
                        + (ia == null ? a : ib == null ? b : merged) + "')");
            merges.put(pair(ia, ib), rank, im);  // a repeated rule: the later one wins, as in tokenizers
        }
        vocabTable = new PieceTable(vocab);
        boolean independent = !ignoreMerges && prefix == null && suffix == null && vocab.containsKey(SPACE);
        for (String t : vocab.keySet()) {
            for (int i = 1; i < t.length() && independent; i++)
                if (t.charAt(i) == SPACE_CHAR && t.charAt(i - 1) != SPACE_CHAR) independent = false;
        }
        wordsIndependent = independent;
    }

    private static final String SPACE = "\u2581";
    private static final char SPACE_CHAR = '\u2581';

    /**
     * Encodes one pre-tokenized piece. Without a pre-tokenizer that is a whole text segment; when no token joins a
     * character to a following "▁" (SentencePiece-style vocabularies) no merge can cross such a boundary, so the
     * segment is merged word by word: same ids, small heaps.
     */
    void encode(String w, IntList out) {
        if (!wordsIndependent) { encodeWord(w, out); return; }
        int from = 0;
        for (int i = 1; i < w.length(); i++) {
            if (w.charAt(i) == SPACE_CHAR && w.charAt(i - 1) != SPACE_CHAR) {
                encodeWord(w.substring(from, i), out);
                from = i;
            }
        }
        encodeWord(from == 0 ? w : w.substring(from), out);
    }

    boolean wordsIndependent() { return wordsIndependent; }

    private static String text(JsonNode m, String field) {
        JsonNode n = m.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static long pair(int a, int b) { return ((long) a << 32) | (b & 0xffffffffL); }

    /** Appends the ids of one pre-tokenized word. */
    void encodeWord(String w, IntList out) {
        if (w.isEmpty()) return;
        if (ignoreMerges) {
            Integer id = vocab.get(w);
            if (id != null) { out.add(id); return; }
        }
        int n = w.length();
        int[] ids = new int[n * 4 + 4];
        int count = 0;
        int unk = -1;  // pending (possibly fused) unknown
        for (int i = 0; i < n; ) {
            int end = i + Character.charCount(w.codePointAt(i));
            Integer id;
            String s = null;
            if (prefix == null && suffix == null) {
                int v = vocabTable.get(w, i, end);
                id = v >= 0 ? v : null;
            } else {
                s = w.substring(i, end);
                if (i > 0 && prefix != null) s = prefix + s;
                if (end == n && suffix != null) s = s + suffix;
                id = vocab.get(s);
            }
            if (id != null) {
                if (unk >= 0) { ids[count++] = unk; unk = -1; }
                ids[count++] = id;
            } else {
                boolean done = false;
                if (s == null) s = w.substring(i, end);
                if (byteFallback) {
                    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                    int[] bs = new int[bytes.length];
                    done = true;
                    for (int k = 0; k < bytes.length && done; k++) {
                        Integer bid = vocab.get(Utf8.bytePieceName(bytes[k]));
                        if (bid == null) done = false; else bs[k] = bid;
                    }
                    if (done) {
                        if (count + bs.length > ids.length) ids = java.util.Arrays.copyOf(ids, (count + bs.length) * 2);
                        for (int bid : bs) ids[count++] = bid;
                    }
                }
                if (!done && unkId >= 0) {
                    if (unk >= 0 && !fuseUnk) ids[count++] = unk;
                    unk = unkId;
                }
            }
            i = end;
        }
        if (unk >= 0) ids[count++] = unk;
        merge(ids, count, out);
    }

    private void merge(int[] ids, int count, IntList out) {
        if (count == 0) return;
        int[] prev = new int[count], next = new int[count];
        boolean[] gone = new boolean[count];
        for (int i = 0; i < count; i++) { prev[i] = i - 1; next[i] = i + 1 < count ? i + 1 : -1; }
        MergeQueue q = new MergeQueue();
        for (int i = 0; i + 1 < count; i++) {
            int slot = merges.find(pair(ids[i], ids[i + 1]));
            if (slot >= 0) q.push(merges.first(slot), i, merges.second(slot));
        }
        while (!q.isEmpty()) {
            int pos = q.topLeft(), newId = q.topPayload();
            q.pop();
            if (gone[pos]) continue;
            int r = next[pos];
            if (r < 0) continue;
            int slot = merges.find(pair(ids[pos], ids[r]));
            if (slot < 0 || merges.second(slot) != newId) continue;
            ids[pos] = newId;
            gone[r] = true;
            next[pos] = next[r];
            if (next[r] >= 0) prev[next[r]] = pos;
            if (prev[pos] >= 0) {
                int s2 = merges.find(pair(ids[prev[pos]], newId));
                if (s2 >= 0) q.push(merges.first(s2), prev[pos], merges.second(s2));
            }
            if (next[pos] >= 0) {
                int s2 = merges.find(pair(newId, ids[next[pos]]));
                if (s2 >= 0) q.push(merges.first(s2), pos, merges.second(s2));
            }
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(ids[i]);
    }
}
