package lwm.model;

import java.lang.management.ManagementFactory;

/**
 * How much memory a run needs for a given context, decided before anything large is allocated:
 * weights (mapped from the checkpoint, so they need physical memory but not heap), the KV cache and the
 * activations of one prefill chunk (both on the Java heap). {@link #check} refuses a run that cannot fit
 * and says what would.
 */
public record MemoryPlan(LlamaConfig config, int context, KvCache.Storage kvStorage, int chunk,
                         long weightBytes, long kvBytes, long activationBytes, long heapBytes, long physicalBytes) {

    public static MemoryPlan of(LlamaConfig c, long weightBytes, int context, KvCache.Storage kv, int chunk) {
        return of(c, weightBytes, context, kv, chunk, Runtime.getRuntime().maxMemory(), physicalMemory());
    }

    public static MemoryPlan of(LlamaConfig c, long weightBytes, int context, KvCache.Storage kv, int chunk,
                                long heapBytes, long physicalBytes) {
        if (context <= 0) throw new IllegalArgumentException("--context must be positive, got " + context);
        return new MemoryPlan(c, context, kv, chunk, weightBytes, KvCache.bytesFor(c.layers(), c.kvDim(), context, kv),
                activationBytes(c, Math.min(chunk, context)), heapBytes, physicalBytes);
    }

    /**
     * f32 buffers of one forward pass over {@code chunk} tokens: residual, norm, q/k/v/attention out, the
     * FFN's gate/up/out (blockwise, at most 256 tokens at a time), per-page attention partials and one
     * row of logits per token (the logits command returns every row).
     */
    static long activationBytes(LlamaConfig c, int chunk) {
        long t = chunk, ffnT = Math.min(chunk, 256);
        long floats = t * c.hiddenSize() * 2 + t * c.qDim() * 3 + t * c.kvDim() * 2 + t * c.heads() * 2
                + ffnT * (2L * c.intermediateSize() + 2L * c.hiddenSize()) + t * (long) c.vocabSize()
                + 2L * 1024 * c.kvDim();
        return floats * 4;
    }

    public long heapNeeded() { return kvBytes + activationBytes; }

    /** Heap we let a run use: the JVM's maximum less a margin for everything else the process holds. */
    public long heapUsable() { return (long) (heapBytes * 0.85) - (64L << 20); }

    public boolean fits() {
        return heapNeeded() <= heapUsable() && weightBytes + heapNeeded() <= physicalBytes;
    }

    /** The longest context that fits the same heap and physical memory. */
    public int maxContext() {
        long perToken = KvCache.bytesFor(config.layers(), config.kvDim(), 1, kvStorage);
        long room = Math.min(heapUsable(), physicalBytes - weightBytes) - activationBytes;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, room / perToken));
    }

    /** Throws a one-line explanation when the run does not fit. */
    public void check() {
        if (fits()) return;
        String what = "context " + context + " needs " + gib(kvBytes) + " KV cache (" + kvStorage.name().toLowerCase() + ") + "
                + gib(activationBytes) + " activations";
        if (weightBytes + heapNeeded() > physicalBytes && heapNeeded() <= heapUsable())
            throw new IllegalArgumentException(what + " + " + gib(weightBytes) + " weights, but the machine has " + gib(physicalBytes)
                    + " of memory: at most " + maxContext() + " tokens fit");
        throw new IllegalArgumentException(what + ", but the Java heap allows " + gib(heapUsable()) + ": at most " + maxContext()
                + " tokens fit (" + (kvStorage == KvCache.Storage.F32 ? "--kv-dtype bf16 halves the cache; " : "")
                + "LWM_HEAP=<size> raises the heap)");
    }

    public String summary() {
        return "memory plan: weights " + gib(weightBytes) + " (mapped), KV cache " + gib(kvBytes) + " for " + context + " tokens ("
                + kvStorage.name().toLowerCase() + "), activations " + gib(activationBytes) + "; heap " + gib(heapBytes)
                + ", machine " + gib(physicalBytes);
    }

    static String gib(long b) { return String.format("%.2f GiB", b / (double) (1L << 30)); }

    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getTotalMemorySize();
        return Long.MAX_VALUE;
    }
}
