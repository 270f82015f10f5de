package lwm.model.data;

/**
 * One training example as token ids. {@code lossMask[t]} says whether predicting token t (from the
 * tokens before it) counts in the loss, as in LWM's data pipeline (loss_masks = mask[1:]); null means
 * every prediction counts. {@code vision[t]} (null for text) marks vision tokens.
 */
public record Document(int[] ids, float[] lossMask, boolean[] vision) {
    public Document {
        if (ids.length == 0) throw new IllegalArgumentException("empty document");
        if (lossMask != null && lossMask.length != ids.length) throw new IllegalArgumentException("loss_mask has " + lossMask.length + " values for " + ids.length + " ids");
        if (vision != null && vision.length != ids.length) throw new IllegalArgumentException("vision mask has " + vision.length + " values for " + ids.length + " ids");
    }

    public Document(int[] ids) { this(ids, null, null); }

    public int length() { return ids.length; }

    public float mask(int t) { return lossMask == null ? 1f : lossMask[t]; }

    /** Tokens [from, to) as a document of its own. */
    public Document slice(int from, int to) {
        return new Document(java.util.Arrays.copyOfRange(ids, from, to),
                lossMask == null ? null : java.util.Arrays.copyOfRange(lossMask, from, to),
                vision == null ? null : java.util.Arrays.copyOfRange(vision, from, to));
    }
}
