package lwm.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (temperature 0), or a draw from softmax(logits / T) restricted
 * to the top-k tokens and then to the smallest set whose probability reaches top-p. Seeded, so a run
 * can be repeated exactly.
 */
public final class Sampler {
    private final double temperature, topP;
    private final int topK;
    private final SplittableRandom random;

    public Sampler(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("--top-k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() { return new Sampler(0, 0, 1, 0); }

    public boolean isGreedy() { return temperature == 0; }

    /** The next token from logits[off, off + vocab). */
    public int sample(float[] logits, int off, int vocab) {
        if (temperature == 0 || topK == 1) return argmax(logits, off, vocab);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double[] p = new double[vocab];
        for (int i = 0; i < vocab; i++) p[i] = Math.exp((logits[off + i] - max) / temperature);
        if (topK == 0 && topP >= 1) return draw(p, null, vocab);
        // sort candidates by probability, descending: (float bits of p, index) packed into one long
        long[] order = new long[vocab];
        for (int i = 0; i < vocab; i++) order[i] = ((long) Float.floatToIntBits((float) p[i]) << 32) | i;
        Arrays.sort(order);
        int keep = topK == 0 ? vocab : Math.min(topK, vocab);
        int[] idx = new int[keep];
        double total = 0;
        for (int r = 0; r < keep; r++) { idx[r] = (int) order[vocab - 1 - r]; total += p[idx[r]]; }
        if (topP < 1) {
            double cum = 0;
            int n = 0;
            while (n < keep) { cum += p[idx[n++]]; if (cum >= topP * total) break; }
            keep = n;
        }
        return draw(p, idx, keep);
    }

    private int draw(double[] p, int[] idx, int n) {
        double total = 0;
        for (int r = 0; r < n; r++) total += p[idx == null ? r : idx[r]];
        double u = random.nextDouble() * total, cum = 0;
        for (int r = 0; r < n; r++) {
            int i = idx == null ? r : idx[r];
            cum += p[i];
            if (u < cum) return i;
        }
        return idx == null ? n - 1 : idx[n - 1];
    }

    /** Index of the largest logit; the first one on ties (like torch.argmax). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
