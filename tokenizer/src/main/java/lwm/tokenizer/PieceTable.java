package lwm.tokenizer;

import java.util.Arrays;

/**
 * String-to-id hash table that can be probed with a range of a larger string, so that BPE can ask "is
 * text[a, b) a piece?" millions of times without allocating a substring for each question.
 */
final class PieceTable {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    PieceTable(java.util.Map<String, Integer> pieces) {
        int cap = Integer.highestOneBit(Math.max(16, pieces.size() * 2 - 1)) << 1;
        keys = new String[cap];
        ids = new int[cap];
        Arrays.fill(ids, -1);
        mask = cap - 1;
        for (var e : pieces.entrySet()) {
            int i = mix(e.getKey().hashCode()) & mask;
            while (keys[i] != null) i = (i + 1) & mask;
            keys[i] = e.getKey();
            ids[i] = e.getValue();
        }
    }

    /** The id of s[from, to), or -1. */
    int get(String s, int from, int to) {
        int h = 0;
        for (int k = from; k < to; k++) h = 31 * h + s.charAt(k);  // String.hashCode of the range
        int len = to - from;
        for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
            String k = keys[i];
            if (k == null) return -1;
            if (k.length() == len && s.regionMatches(from, k, 0, len)) return ids[i];
        }
    }

    private static int mix(int h) { return h ^ (h >>> 16) * 0x45d9f3b; }
}
