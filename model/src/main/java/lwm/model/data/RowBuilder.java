package lwm.model.data;

import java.util.Arrays;

/**
 * Packs documents into one row of fixed length: each document becomes its own segment (ids 1, 2, ...),
 * targets are the next token of the same document, and the rest of the row is padding (segment 0,
 * token {@code padId}, no loss). Positions either run over the whole row (LWM's code) or restart at 0
 * for each document.
 */
public final class RowBuilder {
    private final int length, padId;
    private final boolean resetPositions;
    private final int[] tokens, targets, segments, positions;
    private final float[] mask;
    private final boolean[] vision;
    private boolean anyVision;
    private int used, docs;

    public RowBuilder(int length, int padId, boolean resetPositions) {
        this.length = length;
        this.padId = padId;
        this.resetPositions = resetPositions;
        tokens = new int[length];
        targets = new int[length];
        segments = new int[length];
        positions = new int[length];
        mask = new float[length];
        vision = new boolean[length];
    }

    public int remaining() { return length - used; }

    public int used() { return used; }

    public boolean isEmpty() { return used == 0; }

    public void add(Document d) {
        int n = d.length();
        if (n > remaining()) throw new IllegalArgumentException("document of " + n + " tokens does not fit the " + remaining() + " left in the row");
        int seg = ++docs;
        for (int t = 0; t < n; t++) {
            int at = used + t;
            tokens[at] = d.ids()[t];
            segments[at] = seg;
            positions[at] = resetPositions ? t : at;
            boolean last = t + 1 == n;
            targets[at] = last ? -1 : d.ids()[t + 1];
            mask[at] = last ? 0f : d.mask(t + 1);
            if (!last && d.vision() != null && d.vision()[t + 1]) { vision[at] = true; anyVision = true; }
        }
        used += n;
    }

    public PackedRow build() {
        for (int at = used; at < length; at++) {
            tokens[at] = padId;
            targets[at] = -1;
            segments[at] = 0;
            positions[at] = resetPositions ? at - used : at;
            mask[at] = 0f;
        }
        return new PackedRow(tokens.clone(), targets.clone(), mask.clone(), segments.clone(), positions.clone(),
                anyVision ? vision.clone() : null);
    }

    /** Convenience: one row holding the given documents in order. */
    public static PackedRow pack(int length, int padId, boolean resetPositions, Document... docs) {
        RowBuilder b = new RowBuilder(length, padId, resetPositions);
        for (Document d : docs) b.add(d);
        return b.build();
    }

    @Override public String toString() { return "RowBuilder(" + used + "/" + length + ", " + docs + " docs) " + Arrays.toString(Arrays.copyOf(tokens, used)); }
}
