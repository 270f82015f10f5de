package lwm.tokenizer;

import java.util.Arrays;

/** Open-addressing map from non-negative long keys to int pairs (rank, id): the BPE merge table without boxing. */
final class LongIntMap {
    private long[] keys;
    private int[] a, b;
    private int size, mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, -1);
        a = new int[cap];
        b = new int[cap];
        mask = cap - 1;
    }

    /** Returns the slot of {@code key}, or -1. */
    int find(long key) {
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) return i;
            if (k == -1) return -1;
            i = (i + 1) & mask;
        }
    }

    int first(int slot) { return a[slot]; }

    int second(int slot) { return b[slot]; }

    /** Inserts or replaces. */
    void put(long key, int first, int second) {
        if (2 * (size + 1) > keys.length) grow();
        int i = mix(key) & mask;
        while (keys[i] != -1 && keys[i] != key) i = (i + 1) & mask;
        if (keys[i] == -1) size++;
        keys[i] = key; a[i] = first; b[i] = second;
    }

    private void grow() {
        long[] ok = keys; int[] oa = a, ob = b;
        keys = new long[ok.length * 2];
        Arrays.fill(keys, -1);
        a = new int[keys.length]; b = new int[keys.length];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < ok.length; i++) if (ok[i] != -1) put(ok[i], oa[i], ob[i]);
    }

    private static int mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return (int) (k ^ (k >>> 29));
    }
}
