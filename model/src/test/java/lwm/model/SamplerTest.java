package lwm.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    static float[] randomLogits(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 2);
        return x;
    }

    @Test
    void greedyIsArgmaxAndFirstOnTies() {
        float[] x = {1, 5, 2, 5, -1};
        assertEquals(1, Sampler.greedy().sample(x, 0, 5));
        assertEquals(1, Sampler.greedy().sample(new float[]{9, 9, 1, 7}, 2, 2)); // offset respected: [1, 7] -> 1
    }

    @Test
    void sameSeedSameDraws() {
        float[] x = randomLogits(new Random().nextLong(), 1000);
        Sampler a = new Sampler(0.8, 40, 0.9, 42), b = new Sampler(0.8, 40, 0.9, 42);
        for (int i = 0; i < 50; i++) assertEquals(a.sample(x, 0, 1000), b.sample(x, 0, 1000));
    }

    @Test
    void topKNeverLeavesTheKBest() {
        long seed = new Random().nextLong();
        float[] x = randomLogits(seed, 500);
        Integer[] order = new Integer[500];
        for (int i = 0; i < 500; i++) order[i] = i;
        java.util.Arrays.sort(order, (p, q) -> Float.compare(x[q], x[p]));
        java.util.Set<Integer> top = new java.util.HashSet<>(java.util.List.of(order).subList(0, 5));
        Sampler s = new Sampler(5.0, 5, 1.0, seed);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 2000; i++) seen.add(s.sample(x, 0, 500));
        assertEquals(top, seen, "a hot temperature must reach all 5 and only the top 5 (seed " + seed + ")");
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities 0.5, 0.3, 0.15, 0.05 at T=1
        float[] x = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        Sampler s = new Sampler(1.0, 0, 0.75, 3);
        int[] counts = new int[4];
        for (int i = 0; i < 4000; i++) counts[s.sample(x, 0, 4)]++;
        assertTrue(counts[0] > 0 && counts[1] > 0, "0.5 + 0.3 reach 0.75");
        assertEquals(0, counts[2] + counts[3], "tokens beyond the nucleus are never drawn");
        assertEquals(5.0 / 3, counts[0] / (double) counts[1], 0.25, "renormalised inside the nucleus");
    }

    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        float[] x = {0f, 1f, 2f};
        Sampler s = new Sampler(2.0, 0, 1.0, new Random().nextLong());
        int[] counts = new int[3];
        int N = 30000;
        for (int i = 0; i < N; i++) counts[s.sample(x, 0, 3)]++;
        double z = 1 + Math.exp(0.5) + Math.exp(1);
        for (int i = 0; i < 3; i++) assertEquals(Math.exp(i / 2.0) / z, counts[i] / (double) N, 0.015);
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -2, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 1.5, 0));
    }
}
