package lwm.model.niah;

import java.util.Arrays;

/**
 * The evaluation grid of LWM's needle scripts: context lengths round(linspace(min, max, n)) x depths
 * round(linspace(0, 100, m)), {@code trials} prompts per cell, {@code needles} inserted and {@code asked}
 * retrieved per prompt (1 and 1: single needle).
 */
public record NiahGrid(int[] lengths, double[] depths, int trials, int needles, int asked, long seed) {
    public NiahGrid {
        if (lengths.length == 0 || depths.length == 0) throw new IllegalArgumentException("grid needs at least one length and one depth");
        if (trials < 1) throw new IllegalArgumentException("trials must be positive");
        if (asked < 1 || asked > needles) throw new IllegalArgumentException("need 1 <= asked <= needles, got " + asked + " of " + needles);
        for (int l : lengths) if (l < 1) throw new IllegalArgumentException("context length " + l + " must be positive");
        for (double d : depths) if (d < 0 || d > 100) throw new IllegalArgumentException("depth " + d + " is not a percentage");
    }

    /** round(linspace(min, max, n)), as the LWM scripts build their axes. */
    public static int[] linspace(int min, int max, int n) {
        if (n == 1) return new int[] {max};
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = (int) Math.round(min + (max - min) * (double) i / (n - 1));
        return v;
    }

    public static double[] depthAxis(int n) {
        int[] d = linspace(0, 100, n);
        return Arrays.stream(d).asDoubleStream().toArray();
    }

    /** Seed of one prompt: differs per cell and trial, the same across runs. */
    public long caseSeed(int li, int di, int trial) {
        return seed * 1_000_003L + (long) li * 10_007L + (long) di * 101L + trial;
    }

    public int cells() { return lengths.length * depths.length; }
}
