package lwm.kernels;

import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers: seeded random data, NaN-poisoned outputs, and the comparison every kernel test uses.
 *
 * <p>Tolerance: |actual - expected| <= rtol * max(|expected|, rms(expected)). Element-wise relative error
 * alone is meaningless where a sum cancels to near zero (a dot product of random signs), so the error is
 * measured against the larger of the element and the typical magnitude of the whole output. Every
 * failure message carries the seed, so a failing random case can be replayed.
 */
final class Check {
    private Check() {}

    /** A fresh seed per call; printed in every failure message. */
    static long seed() {
        return System.nanoTime() ^ Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L;
    }

    static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = random(r, n);
        for (int i = 0; i < n; i++) a[i] *= (float) scale;
        return a;
    }

    static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    static int[] ints(SplittableRandom r, int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(bound);
        return a;
    }

    static Tensor tensor(Arena arena, DType type, float[] values, long... shape) {
        Tensor t = Tensor.allocate(arena, type, shape);
        for (int i = 0; i < values.length; i++) t.setFlat(i, values[i]);
        return t;
    }

    static double rms(float[] e, int off, int len) {
        double s = 0;
        int n = 0;
        for (int i = 0; i < len; i++) {
            if (!Float.isFinite(e[off + i])) continue; // poisoned padding, masked -inf entries
            s += (double) e[off + i] * e[off + i];
            n++;
        }
        return n == 0 ? 0 : Math.sqrt(s / n);
    }

    /**
     * The typical size of a dot product of n terms drawn like x and y: f32 accumulation error scales with
     * this, not with the result, which can cancel to nearly zero (a 1 x 1 product of 131 random terms).
     */
    static double dotScale(float[] x, float[] y, int n) {
        return Math.sqrt(n) * rms(x, 0, x.length) * rms(y, 0, y.length);
    }

    static void close(String what, long seed, float[] expected, float[] actual, double rtol) {
        close(what, seed, expected, 0, actual, 0, expected.length, rtol);
    }

    static void close(String what, long seed, float[] expected, int eOff, float[] actual, int aOff, int len, double rtol) {
        close(what, seed, expected, eOff, actual, aOff, len, rtol, 0);
    }

    /**
     * As above, with a floor on the magnitude the error is measured against: for outputs that are a small
     * difference of large terms (the floor is then the size of those terms).
     */
    static void close(String what, long seed, float[] expected, int eOff, float[] actual, int aOff, int len, double rtol, double floor) {
        double scale = Math.max(floor, rms(expected, eOff, len));
        for (int i = 0; i < len; i++) {
            float e = expected[eOff + i], a = actual[aOff + i];
            if (Float.isNaN(e) && Float.isNaN(a)) continue;
            if (e == a) continue; // also equal infinities
            double tol = rtol * Math.max(Math.abs(e), scale);
            if (!(Math.abs((double) a - e) <= tol))
                fail(what + ": element " + i + " expected " + e + " got " + a + " (tolerance " + (float) tol + ", seed " + seed + "L)");
        }
    }

    static void close(String what, long seed, double[] expected, float[] actual, double rtol) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = (float) expected[i];
        close(what, seed, e, actual, rtol);
    }
}
