package lwm.model.data;

import java.util.Arrays;
import java.util.List;

/**
 * One training row of {@code length} tokens holding one or more documents (masked sequence packing).
 * Every array is indexed by the row position of the INPUT token:
 * <ul>
 *   <li>{@code targets[t]}: the token to predict after {@code tokens[t]} (the next token of the same
 *       document), or -1 where there is none (a document's last token, padding);</li>
 *   <li>{@code lossMask[t]}: 1 if that prediction counts in the loss (0 for prompts and padding);</li>
 *   <li>{@code segments[t]}: the packed example the token belongs to (1, 2, ...; 0 = padding);
 *       attention never crosses segments;</li>
 *   <li>{@code positions[t]}: the RoPE position;</li>
 *   <li>{@code visionTargets}: null for text-only data, else whether target t is a vision token
 *       (for the 0.5 x (vision + text) loss).</li>
 * </ul>
 * Every rank of a sequence-parallel group builds the same row and computes on its own tokens.
 */
public record PackedRow(int[] tokens, int[] targets, float[] lossMask, int[] segments, int[] positions, boolean[] visionTargets) {

    public PackedRow {
        int n = tokens.length;
        if (targets.length != n || lossMask.length != n || segments.length != n || positions.length != n
                || (visionTargets != null && visionTargets.length != n))
            throw new IllegalArgumentException("packed row arrays differ in length");
        for (int t = 0; t < n; t++)
            if (lossMask[t] != 0 && targets[t] < 0) throw new IllegalArgumentException("loss on a position without target at " + t);
    }

    public int length() { return tokens.length; }

    /** A row holding one document: positions 0.., segment 1, loss on every next-token prediction. */
    public static PackedRow single(int[] doc) {
        int n = doc.length;
        int[] targets = new int[n];
        float[] mask = new float[n];
        int[] seg = new int[n], pos = new int[n];
        for (int t = 0; t < n; t++) {
            targets[t] = t + 1 < n ? doc[t + 1] : -1;
            mask[t] = t + 1 < n ? 1f : 0f;
            seg[t] = 1;
            pos[t] = t;
        }
        return new PackedRow(doc.clone(), targets, mask, seg, pos, null);
    }

    /**
     * The rows side by side as one sequence: segment ids renumbered so that no two rows share one (padding
     * stays 0), positions kept, so every example sees exactly what it saw in its own row. A batch of short
     * rows then goes through the ring as one longer sequence: one pass of collectives instead of one per row.
     */
    public static PackedRow concat(List<PackedRow> rows) {
        int n = 0;
        boolean vision = false;
        for (PackedRow r : rows) { n += r.length(); vision |= r.visionTargets() != null; }
        int[] tok = new int[n], tg = new int[n], seg = new int[n], pos = new int[n];
        float[] mask = new float[n];
        boolean[] vis = vision ? new boolean[n] : null;
        int o = 0, segBase = 0;
        for (PackedRow r : rows) {
            int len = r.length(), maxSeg = 0;
            System.arraycopy(r.tokens(), 0, tok, o, len);
            System.arraycopy(r.targets(), 0, tg, o, len);
            System.arraycopy(r.lossMask(), 0, mask, o, len);
            System.arraycopy(r.positions(), 0, pos, o, len);
            if (vis != null && r.visionTargets() != null) System.arraycopy(r.visionTargets(), 0, vis, o, len);
            for (int t = 0; t < len; t++) {
                int s = r.segments()[t];
                seg[o + t] = s == 0 ? 0 : segBase + s;
                maxSeg = Math.max(maxSeg, s);
            }
            segBase += maxSeg;
            o += len;
        }
        return new PackedRow(tok, tg, mask, seg, pos, vis);
    }

    /** Number of distinct non-padding segments. */
    public int documents() {
        return (int) Arrays.stream(segments).filter(s -> s > 0).distinct().count();
    }
}
