package lwm.model.niah;

import lwm.model.data.Document;
import lwm.model.data.PackedRow;
import lwm.model.data.RowBuilder;

import java.util.SplittableRandom;

/**
 * Training rows for the demo: needle prompts of random length and depth followed by their answer (the
 * number, then EOS), packed into rows with segment ids (masked sequence packing). The loss is on the
 * answer; the prompt weighs {@code promptLossWeight} (0 = answer only). Rows depend only on the seed and
 * the step, so every rank of a ring builds the same rows.
 */
public final class NiahData {
    private final CharCodec codec = new CharCodec();
    private final int minExample;
    private final float promptWeight;
    private final boolean repeats;
    private final long seed;

    public NiahData(int minExample, float promptLossWeight, boolean repeats, long seed) {
        this.minExample = minExample;
        this.promptWeight = promptLossWeight;
        this.repeats = repeats;
        this.seed = seed;
    }

    /** One example of {@code total} ids: prompt, answer, EOS. */
    public Document example(int total, double depth, long caseSeed) { return example(total, depth, caseSeed, false); }

    /** {@code compact}: without the chat prompt (see {@link NeedleTask#build}). */
    public Document example(int total, double depth, long caseSeed, boolean compact) {
        int answerLen = 7 + 1;
        NiahCase c = NeedleTask.build(codec, total - answerLen, depth, 1, 1, caseSeed, repeats, compact);
        int[] ans = codec.encode(c.answer());
        int n = c.promptIds().length;
        int[] ids = new int[n + ans.length + 1];
        System.arraycopy(c.promptIds(), 0, ids, 0, n);
        System.arraycopy(ans, 0, ids, n, ans.length);
        ids[ids.length - 1] = CharCodec.EOS;
        float[] mask = new float[ids.length];
        for (int t = 1; t < ids.length; t++) mask[t] = t >= n ? 1f : promptWeight;
        return new Document(ids, mask, null);
    }

    /** Row {@code index} of stage {@code stage}: examples of length in [minExample, rowLength] until full. */
    public PackedRow row(int stage, long index, int rowLength, int minLength) { return row(stage, index, rowLength, minLength, 0); }

    /**
     * As above, with a fraction {@code compactFraction} of short (120-220 ids) examples without the chat
     * prompt: the retrieval curriculum that made the PyTorch prototype learn fastest (bench/demo/README.md).
     */
    public PackedRow row(int stage, long index, int rowLength, int minLength, double compactFraction) {
        return row(stage, index, rowLength, minLength, compactFraction, 0);
    }

    /** As above; with chance {@code longFraction} an example fills the rest of the row (full-length prompts). */
    public PackedRow row(int stage, long index, int rowLength, int minLength, double compactFraction, double longFraction) {
        SplittableRandom rnd = new SplittableRandom(seed ^ (stage * 0x9E3779B97F4A7C15L) ^ (index * 0xC2B2AE3D27D4EB4FL));
        RowBuilder b = new RowBuilder(rowLength, CharCodec.PAD, false);
        int lo = Math.max(minExample, Math.min(minLength, rowLength));
        while (b.remaining() >= Math.min(minExample, COMPACT_MIN)) {
            if (b.remaining() < minExample && compactFraction == 0) break;
            if (b.remaining() < minExample || (compactFraction > 0 && rnd.nextDouble() < compactFraction)) {
                b.add(example(Math.min(b.remaining(), COMPACT_MIN + rnd.nextInt(101)), rnd.nextDouble() * 100, rnd.nextLong(), true));
                continue;
            }
            int hi = b.remaining();
            int len = lo >= hi || (longFraction > 0 && rnd.nextDouble() < longFraction) ? hi : lo + rnd.nextInt(hi - lo + 1);
            b.add(example(len, rnd.nextDouble() * 100, rnd.nextLong()));
        }
        return b.build();
    }

    static final int COMPACT_MIN = 120;

    /** Shortest example the needle prompt allows (the chat prompt and needle without haystack, plus answer). */
    public static int shortestExample() {
        return 1 + new CharCodec().encode(NeedleTask.PREFIX + " What is the special magic Santiago number?" + NeedleTask.SINGLE_SUFFIX
                + NeedleTask.needle("Santiago", "1234567")).length + 8 + 16;
    }
}
