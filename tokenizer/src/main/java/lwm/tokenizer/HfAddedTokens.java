package lwm.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits text on added tokens (special tokens such as {@code <s>}) before normalisation, as the Hugging Face
 * AddedVocabulary does: leftmost-longest matches, with the lstrip/rstrip/single_word options.
 */
final class HfAddedTokens {
    record Token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {}

    /** A piece of the text: either an added token (id >= 0) or plain text to tokenize. */
    record Piece(int id, String text, int offset) {}

    private final Map<Character, List<Token>> byFirstChar = new HashMap<>();

    HfAddedTokens(List<Token> tokens) {
        for (Token t : tokens) {
            if (t.content().isEmpty()) continue;
            byFirstChar.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        }
        for (List<Token> l : byFirstChar.values()) l.sort((a, b) -> b.content().length() - a.content().length());
    }

    boolean isEmpty() { return byFirstChar.isEmpty(); }

    void split(String s, int baseOffset, boolean splitSpecial, List<Piece> out) {
        int done = 0;  // end of the last match (text before it is emitted)
        int i = 0;
        while (i < s.length()) {
            Token match = longestAt(s, i);
            if (match == null) { i++; continue; }
            if (!splitSpecial && match.special()) { i += match.content().length(); continue; }
            int start = i, stop = i + match.content().length();
            i = stop;
            if (match.singleWord()) {
                boolean startOk = start == 0 || !HfJson.isAlphanumeric(s.codePointBefore(start));
                boolean stopOk = stop == s.length() || !HfJson.isAlphanumeric(s.codePointAt(stop));
                if (!startOk || !stopOk) continue;
            }
            if (match.lstrip()) {
                int a = start;
                while (a > done && HfJson.isWhitespace(s.charAt(a - 1))) a--;
                start = a;
            }
            if (match.rstrip()) {
                while (stop < s.length() && HfJson.isWhitespace(s.charAt(stop))) stop++;
                i = stop;
            }
            if (start > done) out.add(new Piece(-1, s.substring(done, start), baseOffset + done));
            out.add(new Piece(match.id(), match.content(), baseOffset + start));
            done = stop;
        }
        if (done < s.length()) out.add(new Piece(-1, s.substring(done), baseOffset + done));
    }

    private Token longestAt(String s, int i) {
        List<Token> cands = byFirstChar.get(s.charAt(i));
        if (cands == null) return null;
        for (Token t : cands) if (s.startsWith(t.content(), i)) return t;
        return null;
    }
}
