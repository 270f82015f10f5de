package lwm.model;

import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Random LLaMA weights in any float dtype: projections uniform with the std of the HF initialiser (0.02),
 * norm weights around 1 (perturbed so that a wrong norm shows in the output). Filling uses a counter-based
 * hash rather than a sequential generator, so rows fill in parallel and the result depends only on the seed.
 */
public final class RandomWeights {
    private RandomWeights() {}

    /** Every tensor of the model, allocated in {@code arena}. */
    public static Map<String, Tensor> create(LlamaConfig c, DType dtype, long seed, Arena arena) {
        return create(c, dtype, seed, arena, 0.02);
    }

    /**
     * With another standard deviation: tests use a large one so that attention is far from uniform and
     * a mistake in RoPE or masking moves the logits visibly.
     */
    public static Map<String, Tensor> create(LlamaConfig c, DType dtype, long seed, Arena arena, double std) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        int i = 0;
        for (var e : LlamaWeights.expectedShapes(c).entrySet())
            m.put(e.getKey(), tensor(e.getKey(), e.getValue(), dtype, seed + 7919L * i++, arena, std));
        return m;
    }

    /** One tensor named like a checkpoint tensor: norms get values near 1, everything else near 0. */
    public static Tensor tensor(String name, long[] shape, DType dtype, long seed, Arena arena, double std) {
        Tensor t = Tensor.allocate(arena, dtype, shape);
        boolean norm = name.endsWith("norm.weight");
        float amp = norm ? 0.2f : (float) (std * Math.sqrt(3)), center = norm ? 1f : 0f;
        long n = t.numel(), rowLen = shape[shape.length - 1], rows = n / rowLen;
        IntStream rowIds = IntStream.range(0, (int) rows);
        if (t.segment().isAccessibleBy(new Thread(() -> {}))) rowIds = rowIds.parallel(); // not for a confined arena
        rowIds.forEach(r -> {
            for (long j = 0; j < rowLen; j++) {
                long e = r * rowLen + j;
                t.setFlat(e, center + amp * uniform(seed, e));
            }
        });
        return t;
    }

    /** A value in [-1, 1) from (seed, index): SplitMix64's finaliser. */
    static float uniform(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 40) / (float) (1L << 23) - 1f;
    }
}
