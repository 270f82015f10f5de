package lwm.tokenizer;

import java.util.Arrays;

/**
 * Min-heap of merge candidates for BPE, kept in primitive arrays so that encoding a whole book does not
 * allocate an object per candidate. A candidate is (priority, left symbol index, payload); the smallest
 * priority pops first and ties go to the leftmost symbol, which is the order both SentencePiece and
 * Hugging Face use.
 */
final class MergeQueue {
    private long[] keys = new long[64];
    private int[] payloads = new int[64];
    private int size;

    /** @param priority smaller pops first (any int) @param left symbol index, non-negative */
    void push(int priority, int left, int payload) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        long key = ((long) priority << 32) | (left & 0xffffffffL);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    boolean isEmpty() { return size == 0; }

    int topLeft() { return (int) keys[0]; }

    int topPayload() { return payloads[0]; }

    void pop() {
        long key = keys[--size];
        int payload = payloads[size];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && keys[c + 1] < keys[c]) c++;
            if (keys[c] >= key) break;
            keys[i] = keys[c];
            payloads[i] = payloads[c];
            i = c;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    void clear() { size = 0; }

    /** Maps a float so that larger floats give smaller ints (signed order), for "highest score first". */
    static int descending(float score) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);  // -0 and +0 tie, as in C++
        int ascending = bits >= 0 ? bits : bits ^ 0x7fffffff;
        return ascending == Integer.MIN_VALUE ? Integer.MAX_VALUE : -ascending;
    }
}
