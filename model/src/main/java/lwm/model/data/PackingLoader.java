package lwm.model.data;

import java.util.SplittableRandom;

/**
 * Streams documents in a seeded shuffled order, epoch after epoch, and packs them into rows of
 * {@code seqLen} tokens with segment ids (masked sequence packing). A document that does not fit the
 * rest of a row starts the next one (the rest is padding), so every example stays whole unless it is
 * longer than a row; such a document is cut into row-sized pieces that overlap by one token, so every
 * next-token prediction is trained exactly once, each piece being an example of its own.
 *
 * <p>The position in the stream is a small {@link State}; a loader started from a saved state produces
 * exactly the rows the original would have produced next (exact resumption).
 */
public final class PackingLoader {

    /** Epoch, index into that epoch's permutation, and token offset inside that document. */
    public record State(int epoch, int cursor, int offset) {
        public static final State START = new State(0, 0, 0);
    }

    private final JsonlDocuments docs;
    private final int seqLen, padId;
    private final long seed;
    private final boolean resetPositions;
    private int epoch, cursor, offset;
    private int[] order;
    private Document current;
    private long rowsProduced;

    public PackingLoader(JsonlDocuments docs, int seqLen, long seed, boolean resetPositions, int padId, State start) {
        if (seqLen < 2) throw new IllegalArgumentException("seq_len must be at least 2, got " + seqLen);
        this.docs = docs;
        this.seqLen = seqLen;
        this.seed = seed;
        this.resetPositions = resetPositions;
        this.padId = padId;
        this.epoch = start.epoch();
        this.cursor = start.cursor();
        this.offset = start.offset();
        if (cursor < 0 || cursor >= docs.size() || offset < 0) throw new IllegalArgumentException("data position " + start + " is outside " + docs.file());
        this.order = permutation(epoch);
    }

    public State state() { return new State(epoch, cursor, offset); }

    public int epoch() { return epoch; }

    public long rowsProduced() { return rowsProduced; }

    /** The document order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch). */
    int[] permutation(int e) {
        int n = docs.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + e);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    private Document current() {
        if (current == null) current = docs.get(order[cursor]);
        return current;
    }

    private void nextDocument() {
        current = null;
        offset = 0;
        if (++cursor == order.length) {
            cursor = 0;
            order = permutation(++epoch);
        }
    }

    public PackedRow next() {
        RowBuilder row = new RowBuilder(seqLen, padId, resetPositions);
        int skipped = 0;
        while (row.remaining() >= 2) {
            Document d = current();
            if (d.length() < 2) { // nothing to predict in it
                nextDocument();
                if (++skipped > docs.size()) throw new IllegalArgumentException(docs.file() + ": no document has 2 or more tokens");
                continue;
            }
            int len = Math.min(seqLen, d.length() - offset);
            if (len > row.remaining()) break;
            row.add(d.slice(offset, offset + len));
            if (offset + len >= d.length()) nextDocument();
            else offset += len - 1;
        }
        rowsProduced++;
        return row.build();
    }
}
