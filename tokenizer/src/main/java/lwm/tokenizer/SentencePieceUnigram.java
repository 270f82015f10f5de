package lwm.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece's unigram segmentation: the path of pieces with the highest total score (Viterbi over the lattice
 * of vocabulary matches, built on the fly). Reproduces SentencePiece's arithmetic (float sums, ties to the earlier
 * start), its unknown-character penalty (lowest score minus 10) and the bonus that makes user-defined pieces win.
 */
final class SentencePieceUnigram {
    private static final float UNK_PENALTY = 10.0f;

    /** Character trie over the NORMAL, USER_DEFINED and UNUSED pieces. */
    private static final class Node {
        Map<Character, Node> next;
        int id = -1;
    }

    private final Node root = new Node();
    private final SentencePieceModel model;
    private final float minScore, maxScore;

    SentencePieceUnigram(SentencePieceModel m) {
        this.model = m;
        float min = Float.MAX_VALUE, max = Float.MIN_NORMAL;  // C++ FLT_MAX / FLT_MIN (smallest positive) as in SentencePiece
        for (int i = 0; i < m.size(); i++) {
            int t = m.types[i];
            if (t == SentencePieceModel.NORMAL) { min = Math.min(min, m.scores[i]); max = Math.max(max, m.scores[i]); }
            if (t == SentencePieceModel.NORMAL || t == SentencePieceModel.USER_DEFINED || t == SentencePieceModel.UNUSED) {
                Node n = root;
                for (char c : m.pieces.get(i).toCharArray()) {
                    if (n.next == null) n.next = new HashMap<>(4);
                    n = n.next.computeIfAbsent(c, k -> new Node());
                }
                if (n.id < 0) n.id = i;
            }
        }
        minScore = min;
        maxScore = max;
    }

    /** Best segmentation of normalised text as {piece, id} pairs (id = unkId for unknown characters). */
    List<String[]> segment(String s, int unkId) {
        int n = s.length();
        float[] best = new float[n + 1];
        int[] start = new int[n + 1], id = new int[n + 1];
        java.util.Arrays.fill(start, -1);
        float unkScore = minScore - UNK_PENALTY;
        for (int at = 0; at < n; ) {
            float tillHere = best[at];
            int charEnd = at + Character.charCount(s.codePointAt(at));
            boolean singleChar = false;
            Node node = root;
            int bytes = 0;
            for (int k = at; k < n && node.next != null; k++) {
                node = node.next.get(s.charAt(k));
                if (node == null) break;
                char c = s.charAt(k);
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;  // a surrogate pair is 4 bytes
                if (node.id < 0 || model.types[node.id] == SentencePieceModel.UNUSED) continue;
                if (Character.isHighSurrogate(c)) continue;  // a piece never ends inside a character
                int end = k + 1;
                if (model.types[node.id] == SentencePieceModel.USER_DEFINED) {
                    double cand = ((double) ((float) bytes * maxScore) - 0.1) + tillHere;
                    if (start[end] == -1 || cand > best[end]) { best[end] = (float) cand; start[end] = at; id[end] = node.id; }
                } else {
                    float cand = model.scores[node.id] + tillHere;
                    if (start[end] == -1 || cand > best[end]) { best[end] = cand; start[end] = at; id[end] = node.id; }
                }
                if (end == charEnd) singleChar = true;
            }
            if (!singleChar) {
                float cand = unkScore + tillHere;
                if (start[charEnd] == -1 || cand > best[charEnd]) { best[charEnd] = cand; start[charEnd] = at; id[charEnd] = unkId; }
            }
            at = charEnd;
        }
        List<String[]> out = new ArrayList<>();
        for (int end = n; end > 0; end = start[end]) out.add(new String[] {s.substring(start[end], end), String.valueOf(id[end])});
        Collections.reverse(out);
        return out;
    }
}
