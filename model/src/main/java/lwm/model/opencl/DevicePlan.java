package lwm.model.opencl;

import lwm.kernels.opencl.ClDevice;
import lwm.model.LlamaConfig;
import lwm.model.LlamaWeights;

/**
 * Memory a device-resident run ({@link ClLlamaModel}) needs for a given context, decided before anything
 * is uploaded: on the device the weights in their stored dtype, the f32 KV cache and one prefill chunk's
 * activations and logits; on the Java heap one chunk's logits and the staging copy of the largest weight
 * while it is uploaded. {@link #check} refuses a run that cannot fit and says how many tokens would.
 */
public record DevicePlan(LlamaConfig config, String device, int context, int chunk, long weightBytes, long largestWeightBytes,
                         long kvBytes, long activationBytes, long deviceBytes, long maxAllocBytes, long heapBytes) {

    /** Elements one buffer may hold: kernel offsets and sizes are 32-bit ints. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The weights as {@link ClLlamaModel} uploads them: each tensor once, in its stored dtype. */
    public static DevicePlan of(LlamaWeights w, int context, int chunk, ClDevice d) {
        long largest = 0;
        for (var t : w.named().values()) largest = Math.max(largest, t.numel() * t.dtype().bytes);
        return of(w.config(), w.bytes(), largest, context, chunk, d.name(), d.globalMemBytes(), d.maxAllocBytes(),
                Runtime.getRuntime().maxMemory());
    }

    public static DevicePlan of(LlamaConfig c, long weightBytes, long largestWeightBytes, int context, int chunk, String device,
                                long deviceBytes, long maxAllocBytes, long heapBytes) {
        if (context <= 0) throw new IllegalArgumentException("--context must be positive, got " + context);
        return new DevicePlan(c, device, context, chunk, weightBytes, largestWeightBytes, kvBytes(c, context),
                activationBytes(c, Math.min(chunk, context)), deviceBytes, maxAllocBytes, heapBytes);
    }

    /** Keys and values of every layer in f32, plus one position per token. */
    static long kvBytes(LlamaConfig c, long tokens) { return tokens * (2L * c.layers() * c.kvDim() * 4 + 4); }

    /** The device buffers of one forward pass over {@code n} tokens, with every row's logits (the logits command). */
    static long activationBytes(LlamaConfig c, int n) {
        long floats = (long) n * (c.hiddenSize() + Math.max(c.hiddenSize(), c.qDim()) + 2L * c.qDim() + c.heads()
                + 2L * c.intermediateSize() + c.vocabSize());
        return floats * 4 + 8L * n;
    }

    /** Logits of one chunk as a host array, and the largest weight copied to the heap on its way to the device. */
    public long heapNeeded() { return 4L * Math.min(chunk, context) * config.vocabSize() + largestWeightBytes; }

    public long heapUsable() { return (long) (heapBytes * 0.85) - (64L << 20); }

    /** The driver, the compiled kernels and the queue take part of the reported global memory. */
    public static long usable(long globalMemBytes) { return (long) (globalMemBytes * 0.95); }

    public long deviceUsable() { return usable(deviceBytes); }

    public long deviceNeeded() { return weightBytes + kvBytes + activationBytes; }

    /** The largest single buffer: one layer's keys, the largest weight, or one chunk's FFN or logits. */
    public long largestBuffer() {
        int n = Math.min(chunk, context);
        return Math.max(Math.max(4L * context * config.kvDim(), largestWeightBytes),
                4L * n * Math.max(config.vocabSize(), config.intermediateSize()));
    }

    /** The longest context the device's memory, its largest buffer and the 32-bit offsets allow. */
    public int maxContext() {
        long room = deviceUsable() - weightBytes - activationBytes(config, chunk);
        long byMemory = Math.max(0, room / kvBytes(config, 1));
        long byBuffer = maxAllocBytes / (4L * config.kvDim()), byOffsets = MAX_ELEMENTS / config.kvDim();
        return (int) Math.min(Integer.MAX_VALUE, Math.min(byMemory, Math.min(byBuffer, byOffsets)));
    }

    public boolean fits() {
        return deviceNeeded() <= deviceUsable() && largestBuffer() <= maxAllocBytes && (long) context * config.kvDim() <= MAX_ELEMENTS
                && heapNeeded() <= heapUsable();
    }

    /** Throws a one-line explanation when the run does not fit. */
    public void check() {
        if (fits()) return;
        if (heapNeeded() > heapUsable())
            throw new IllegalArgumentException("the device-resident run needs " + gib(heapNeeded()) + " of Java heap (one chunk's logits and the "
                    + "largest weight while it is uploaded), but the heap allows " + gib(heapUsable()) + " (LWM_HEAP=<size> raises it; a smaller "
                    + "--prefill-chunk needs less)");
        if (largestWeightBytes > maxAllocBytes || weightBytes + activationBytes > deviceUsable())
            throw new IllegalArgumentException("the weights (" + gib(weightBytes) + ", largest tensor " + gib(largestWeightBytes) + ") do not fit "
                    + device + " (" + gib(deviceBytes) + ", buffers up to " + gib(maxAllocBytes) + "); use --device cpu");
        int max = maxContext();
        if ((long) context * config.kvDim() > MAX_ELEMENTS)
            throw new IllegalArgumentException("context " + context + " exceeds the 32-bit offsets of the OpenCL kernels: at most " + max
                    + " tokens on the device (--device cpu has no such limit)");
        if (4L * context * config.kvDim() > maxAllocBytes)
            throw new IllegalArgumentException("context " + context + " needs a " + gib(4L * context * config.kvDim()) + " KV buffer per layer, over "
                    + device + "'s largest buffer of " + gib(maxAllocBytes) + ": at most " + max + " tokens fit");
        if (largestBuffer() > maxAllocBytes)
            throw new IllegalArgumentException("a prefill chunk of " + chunk + " tokens needs a " + gib(largestBuffer()) + " buffer, over " + device
                    + "'s largest of " + gib(maxAllocBytes) + ": lower --prefill-chunk");
        throw new IllegalArgumentException("context " + context + " needs " + gib(kvBytes) + " KV cache (f32) + " + gib(weightBytes) + " weights + "
                + gib(activationBytes) + " activations on " + device + ", which has " + gib(deviceBytes) + ": at most " + max + " tokens fit");
    }

    public String summary() {
        return "memory plan: device " + device + ": weights " + gib(weightBytes) + ", KV cache " + gib(kvBytes) + " for " + context
                + " tokens (f32), activations " + gib(activationBytes) + " of " + gib(deviceBytes) + "; largest buffer " + gib(largestBuffer())
                + " of " + gib(maxAllocBytes) + "; heap " + gib(heapNeeded()) + " of " + gib(heapBytes);
    }

    static String gib(long b) { return String.format("%.2f GiB", b / (double) (1L << 30)); }
}
