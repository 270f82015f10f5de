package lwm.model;

import lwm.tensor.Bf16;

import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of every layer for the tokens seen so far, in pages of {@code pageTokens} tokens so
 * that a long context is many modest arrays rather than one giant one (a Java array stops at 2^31
 * elements; a 7B model's 1M-token cache is 2^39 bytes). Pages are allocated as tokens arrive.
 *
 * <p>Each slot also records the absolute position of its token: a rank of a sequence-parallel run holds
 * tokens that are not contiguous, and attention masks by position, not by slot.
 * Storage is f32, or bf16 (half the memory; keys and values are rounded once when written).
 */
public final class KvCache {
    public enum Storage { F32, BF16;
        public int bytes() { return this == F32 ? 4 : 2; }
        public static Storage parse(String s) {
            return switch (s.toLowerCase()) {
                case "f32", "float32" -> F32;
                case "bf16", "bfloat16" -> BF16;
                default -> throw new IllegalArgumentException("KV cache dtype '" + s + "' is not f32 or bf16");
            };
        }
    }

    private final int layers, kvDim, pageTokens, capacity;
    private final Storage storage;
    private final List<Object[]> keys = new ArrayList<>(), values = new ArrayList<>(); // per layer: pages (float[] or short[])
    private final List<int[]> positions = new ArrayList<>();
    private int length;

    public KvCache(int layers, int kvDim, int capacity, int pageTokens, Storage storage) {
        if (capacity <= 0 || pageTokens <= 0) throw new IllegalArgumentException("cache capacity and page size must be positive");
        this.layers = layers;
        this.kvDim = kvDim;
        this.capacity = capacity;
        this.pageTokens = Math.min(pageTokens, capacity);
        this.storage = storage;
        int pages = (capacity + this.pageTokens - 1) / this.pageTokens;
        for (int l = 0; l < layers; l++) { keys.add(new Object[pages]); values.add(new Object[pages]); }
    }

    public int length() { return length; }
    public int capacity() { return capacity; }
    public int pageTokens() { return pageTokens; }
    public Storage storage() { return storage; }
    public int kvDim() { return kvDim; }

    /** Number of pages holding at least one token. */
    public int pages() { return (length + pageTokens - 1) / pageTokens; }

    /** Tokens in page p. */
    public int pageLength(int p) { return Math.min(pageTokens, length - p * pageTokens); }

    /** Absolute positions of the tokens in page p (valid for the first pageLength(p) entries). */
    public int[] pagePositions(int p) { return positions.get(p); }

    /** Bytes this cache needs when full (the memory plan's figure). */
    public static long bytesFor(int layers, int kvDim, int capacity, Storage s) {
        return 2L * layers * kvDim * (long) capacity * s.bytes() + 4L * capacity;
    }

    /**
     * Writes the keys and values of {@code tokens} new tokens of one layer at slots [length, length+tokens).
     * The slot count advances when the last layer is written ({@link #advance}), so every layer of one
     * forward pass writes the same slots.
     */
    public void write(int layer, float[] k, int kOff, float[] v, int vOff, int tokens, int[] pos, int posOff) {
        if (length + tokens > capacity)
            throw new IllegalStateException("KV cache full: " + length + " + " + tokens + " tokens exceed the context of " + capacity
                    + " (raise --context)");
        for (int t = 0; t < tokens; t++) {
            int slot = length + t, p = slot / pageTokens, i = slot % pageTokens;
            Object[] kp = keys.get(layer), vp = values.get(layer);
            if (kp[p] == null) {
                kp[p] = newPage();
                vp[p] = newPage();
            }
            store(kp[p], i * kvDim, k, kOff + t * kvDim);
            store(vp[p], i * kvDim, v, vOff + t * kvDim);
            if (layer == 0) {
                while (positions.size() <= p) positions.add(new int[pageTokens]);
                positions.get(p)[i] = pos[posOff + t];
            }
        }
    }

    /** Marks {@code tokens} slots written by every layer as filled. */
    public void advance(int tokens) {
        if (length + tokens > capacity) throw new IllegalStateException("advance past capacity");
        length += tokens;
    }

    /** Drops every token (a new conversation); pages are kept for reuse. */
    public void clear() { length = 0; }

    /** Keeps the first {@code tokens} slots (a conversation rewound to a common prefix). */
    public void truncate(int tokens) {
        if (tokens < 0 || tokens > length) throw new IllegalArgumentException("cannot truncate " + length + " cached tokens to " + tokens);
        length = tokens;
    }

    private Object newPage() {
        int n = Math.multiplyExact(pageTokens, kvDim);
        return storage == Storage.F32 ? new float[n] : new short[n];
    }

    private void store(Object page, int at, float[] src, int off) {
        if (page instanceof float[] f) System.arraycopy(src, off, f, at, kvDim);
        else {
            short[] s = (short[]) page;
            for (int d = 0; d < kvDim; d++) s[at + d] = Bf16.fromFloat(src[off + d]);
        }
    }

    /**
     * Keys of the first {@code tokens} slots of page p ([tokens, kvHeads, headDim]) as f32: the page itself
     * for f32 storage, else widened into {@code scratch} (at least pageTokens * kvDim floats). Slots
     * written in the current pass count, before {@link #advance}.
     */
    public float[] keysFilled(int layer, int p, int tokens, float[] scratch) { return view(keys.get(layer)[p], tokens, scratch); }

    public float[] valuesFilled(int layer, int p, int tokens, float[] scratch) { return view(values.get(layer)[p], tokens, scratch); }

    private float[] view(Object page, int tokens, float[] scratch) {
        if (page instanceof float[] f) return f;
        short[] s = (short[]) page;
        int n = tokens * kvDim;
        for (int i = 0; i < n; i++) scratch[i] = Bf16.toFloat(s[i]);
        return scratch;
    }
}
