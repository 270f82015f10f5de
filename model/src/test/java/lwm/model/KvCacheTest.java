package lwm.model;

import lwm.kernels.AttentionArgs;
import lwm.kernels.ScalarKernels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class KvCacheTest {
    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void pagesMergedByLogSumExpEqualOneCallOverAllKeys() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        ScalarKernels k = new ScalarKernels();
        for (int[] dims : new int[][]{{5, 37, 4, 2, 8}, {1, 50, 6, 3, 16}, {9, 9, 2, 1, 4}}) {
            int nq = dims[0], nk = dims[1], H = dims[2], Hk = dims[3], D = dims[4];
            float[] q = random(r, nq * H * D), kk = random(r, nk * Hk * D), vv = random(r, nk * Hk * D);
            int[] kPos = new int[nk], qPos = new int[nq];
            for (int j = 0; j < nk; j++) kPos[j] = j;
            for (int i = 0; i < nq; i++) qPos[i] = nk - nq + i; // the last nq keys are the queries' own tokens
            float[] want = new float[nq * H * D], wantLse = new float[nq * H];
            k.attentionForward(new AttentionArgs(q, 0, kk, 0, vv, 0, want, 0, wantLse, 0, nq, nk, H, Hk, D, qPos, kPos, null, null, true, 0.3f, 4, 8));
            float[] out = new float[want.length], lse = new float[wantLse.length];
            Arrays.fill(out, Float.NaN);
            Arrays.fill(lse, Float.NEGATIVE_INFINITY);
            for (int s = 0; s < nk; ) {
                int e = Math.min(nk, s + 1 + r.nextInt(11)); // pages of random length
                float[] pk = Arrays.copyOfRange(kk, s * Hk * D, e * Hk * D), pv = Arrays.copyOfRange(vv, s * Hk * D, e * Hk * D);
                float[] po = new float[want.length], pl = new float[wantLse.length];
                Arrays.fill(po, Float.NaN);
                k.attentionForward(new AttentionArgs(q, 0, pk, 0, pv, 0, po, 0, pl, 0, nq, e - s, H, Hk, D, qPos,
                        Arrays.copyOfRange(kPos, s, e), null, null, true, 0.3f, 4, 8));
                LlamaModel.merge(out, lse, po, pl, nq * H, D);
                s = e;
            }
            for (int i = 0; i < want.length; i++) assertEquals(want[i], out[i], 1e-5, "seed " + seed + " dims " + Arrays.toString(dims) + " at " + i);
            for (int i = 0; i < wantLse.length; i++) assertEquals(wantLse[i], lse[i], 1e-5, "lse, seed " + seed);
        }
    }

    @Test
    void pagesAreAllocatedAsTokensArrive() {
        // a million-token cache of 7B width (two layers): only the page table exists until tokens are written
        KvCache c = new KvCache(2, 4096, 1 << 20, 256, KvCache.Storage.BF16);
        assertEquals(0, c.pages());
        float[] kv = new float[3 * 4096];
        for (int l = 0; l < 2; l++) c.write(l, kv, 0, kv, 0, 3, new int[]{0, 1, 2}, 0);
        c.advance(3);
        assertEquals(1, c.pages());
        assertEquals(3, c.pageLength(0));
    }

    @Test
    void storesPositionsAndRoundsBf16Once() {
        KvCache c = new KvCache(1, 2, 5, 2, KvCache.Storage.BF16);
        float[] k = {1.00390625f, -2f, 3f, 4f, 5f, 6f}, v = {7f, 8f, 9f, 10f, 11f, 12f};
        c.write(0, k, 0, v, 0, 3, new int[]{10, 20, 30}, 0);
        c.advance(3);
        assertEquals(2, c.pages());
        assertArrayEquals(new int[]{30}, Arrays.copyOf(c.pagePositions(1), 1));
        float[] scratch = new float[4];
        assertArrayEquals(new float[]{1f, -2f, 3f, 4f}, c.keysFilled(0, 0, 2, scratch), "1 + 2^-8 rounds to even in bf16");
        assertArrayEquals(new float[]{11f, 12f}, Arrays.copyOf(c.valuesFilled(0, 1, 1, scratch), 2));
        IllegalStateException full = assertThrows(IllegalStateException.class, () -> c.write(0, k, 0, v, 0, 3, new int[]{1, 2, 3}, 0));
        assertTrue(full.getMessage().contains("exceed the context of 5"));
        c.truncate(1);
        assertEquals(1, c.length());
        assertThrows(IllegalArgumentException.class, () -> c.truncate(2));
    }
}
