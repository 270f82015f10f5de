package lwm.ring;

import lwm.kernels.ScalarKernels;
import lwm.model.Generator;
import lwm.model.KvCache;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.RandomWeights;
import lwm.model.Sampler;
import lwm.model.TensorSource;
import lwm.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distributed decode (KV cache sharded over ranks, partial attention merged by LSE) equals one-rank generation. */
class RingDecoderTest {
    private static final long SEED = System.nanoTime();

    @Test
    void shardedDecodeGeneratesLikeOneRank() throws Exception {
        LlamaConfig c = new LlamaConfig(53, 32, 48, 2, 4, 2, 8, 512, 10000, 1e-5f, false, 1, 2);
        SplittableRandom rnd = new SplittableRandom(SEED);
        try (Arena arena = Arena.ofShared()) {
            LlamaWeights w = LlamaWeights.from(c, TensorSource.of(RandomWeights.create(c, DType.F32, SEED, arena)));
            LlamaModel model = new LlamaModel(w, new ScalarKernels());
            int maxNew = 9;
            for (int s : new int[]{23, 2}) {   // 2 tokens: shorter than the ranks, everything goes through decode steps
                int[] prompt = new int[s];
                for (int i = 0; i < s; i++) prompt[i] = 3 + rnd.nextInt(50);
                // one rank: the plain generator, then the logits of one more step after the last sampled token
                KvCache cache = model.newCache(s + maxNew + 1, KvCache.Storage.F32);
                int[] ref = new Generator(model, cache, 7).generate(prompt, maxNew, Sampler.greedy(), id -> false, new Generator.Listener() {}).newTokens();
                assertEquals(maxNew, ref.length);
                float[] refNext = model.forward(new int[]{ref[maxNew - 1]}, new int[]{s + maxNew - 1}, cache, LlamaModel.Logits.LAST);

                for (int p : new int[]{2, 3, 4})
                    for (SequenceLayout.Kind kind : SequenceLayout.Kind.values()) {
                        int[][] got = new int[p][];
                        int[] shard = new int[p], prefilled = new int[p];
                        float[][] next = new float[p][];
                        LocalWorld.run(p, (world, a) -> {
                            int r = world.rank();
                            SequenceLayout l = SequenceLayout.of(kind, r, p);
                            RingDecoder d = new RingDecoder(model, world, l, s, maxNew + 1, KvCache.Storage.F32);
                            got[r] = d.generate(prompt, maxNew, Sampler.greedy(), id -> false, new Generator.Listener() {}).newTokens();
                            prefilled[r] = d.prefillLength();
                            next[r] = d.step(got[r][maxNew - 1]);
                            shard[r] = d.shard().length();
                        });
                        String where = "prompt " + s + " P=" + p + " " + kind + " seed " + SEED;
                        int total = 0;
                        for (int r = 0; r < p; r++) {
                            assertArrayEquals(ref, got[r], where + " rank " + r);
                            double e = AttentionCase.relErr(next[r], refNext);
                            assertTrue(e <= 1e-5, where + " rank " + r + ": next-step logits relative error " + e);
                            assertArrayEquals(next[0], next[r], "every rank gets the same logits");
                            total += shard[r];
                        }
                        assertEquals(s > p ? s - 1 : 0, prefilled[0], where);
                        // every token is cached exactly once, and no shard holds more than its share (+2 for uneven layouts)
                        assertEquals(s + maxNew, total, where);
                        for (int r = 0; r < p; r++)
                            assertTrue(shard[r] <= (s + maxNew + p - 1) / p + 2, where + ": rank " + r + " caches " + shard[r] + " of " + total);
                    }
            }
        }
    }
}
