package lwm.model.opencl;

import lwm.kernels.RopeStyle;
import lwm.kernels.opencl.ClAttention;
import lwm.kernels.opencl.ClBuffer;
import lwm.kernels.opencl.ClContext;
import lwm.kernels.opencl.ClOps;
import lwm.kernels.opencl.ClWeight;
import lwm.model.CachedForward;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;

/**
 * The LLaMA forward pass with everything on the OpenCL device: the weights are uploaded once in their
 * stored dtype (bf16 stays 16-bit), the KV cache lives in device buffers, and a forward call moves only
 * the token ids and positions in and the requested logits out; every kernel in between reads what the
 * previous one left on the device. Same math as {@link LlamaModel#forward} (causal attention by positions
 * over the cached tokens plus the new ones), for prefill and decode. The KV cache is f32, one keys and one
 * values buffer per layer of {@code capacity} tokens, allocated up front ({@link DevicePlan} checks that
 * it fits before anything is uploaded).
 */
public final class ClLlamaModel implements CachedForward, AutoCloseable {
    private final LlamaConfig c;
    private final ClOps ops;
    private final ClContext ctx;
    private final RopeStyle rope;
    private final ClWeight embed, finalNorm, lmHead;
    private final ClWeight[][] layers;
    private final ClBuffer[] keys, values;
    private final ClBuffer cachePos;
    private final int capacity;
    private int length;

    public ClLlamaModel(LlamaWeights w, ClOps ops, int capacity, RopeStyle rope) {
        this.c = w.config();
        this.ops = ops;
        this.ctx = ops.context();
        this.rope = rope;
        this.capacity = capacity;
        if (c.headDim() > 128) throw new IllegalArgumentException("the OpenCL attention kernels take head_dim <= 128, got " + c.headDim());
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        if ((long) capacity * c.kvDim() > DevicePlan.MAX_ELEMENTS)
            throw new IllegalArgumentException("a device KV cache of " + capacity + " tokens exceeds the kernels' 32-bit offsets: at most "
                    + DevicePlan.MAX_ELEMENTS / c.kvDim() + " tokens");
        embed = ops.upload(w.embed());
        finalNorm = ops.upload(w.finalNorm());
        // tied embeddings: the head is the embedding table, uploaded once (as LlamaWeights.bytes counts it)
        lmHead = c.tieWordEmbeddings() ? embed : ops.upload(w.lmHead());
        layers = new ClWeight[c.layers()][];
        keys = new ClBuffer[c.layers()];
        values = new ClBuffer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            LlamaWeights.Layer L = w.layers()[l];
            layers[l] = new ClWeight[] {ops.upload(L.attnNorm()), ops.upload(L.wq()), ops.upload(L.wk()), ops.upload(L.wv()),
                    ops.upload(L.wo()), ops.upload(L.ffnNorm()), ops.upload(L.gate()), ops.upload(L.up()), ops.upload(L.down())};
            keys[l] = ctx.alloc(ClBuffer.Type.F32, (long) capacity * c.kvDim());
            values[l] = ctx.alloc(ClBuffer.Type.F32, (long) capacity * c.kvDim());
        }
        cachePos = ctx.alloc(ClBuffer.Type.I32, capacity);
    }

    @Override public LlamaConfig config() { return c; }

    @Override public int length() { return length; }

    @Override public int capacity() { return capacity; }

    /** Later tokens overwrite the dropped slots; attention only reads the first {@link #length} of them. */
    @Override
    public void truncate(int tokens) {
        if (tokens < 0 || tokens > length) throw new IllegalArgumentException("cannot truncate " + length + " cached tokens to " + tokens);
        length = tokens;
    }

    /** Runs the tokens after the cached ones, appends their keys/values, returns logits as {@link LlamaModel#forward}. */
    @Override
    public float[] forward(int[] ids, int[] positions, LlamaModel.Logits which) {
        int n = ids.length, H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim(), F = c.intermediateSize(), V = c.vocabSize();
        if (positions.length != n) throw new IllegalArgumentException(n + " ids but " + positions.length + " positions");
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        if (length + n > capacity)
            throw new IllegalArgumentException("device KV cache full: " + length + " + " + n + " tokens exceed the context of " + capacity
                    + " (raise --context)");
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= V) throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " outside vocabulary [0, " + V + ")");
        float eps = c.rmsNormEps();
        try (ClBuffer dIds = ctx.upload(ids); ClBuffer qPos = ctx.upload(positions);
             ClBuffer x = ctx.alloc(ClBuffer.Type.F32, (long) n * H); ClBuffer xn = ctx.alloc(ClBuffer.Type.F32, (long) n * Math.max(H, Q));
             ClBuffer q = ctx.alloc(ClBuffer.Type.F32, (long) n * Q); ClBuffer att = ctx.alloc(ClBuffer.Type.F32, (long) n * Q);
             ClBuffer lse = ctx.alloc(ClBuffer.Type.F32, (long) n * c.heads());
             ClBuffer g = ctx.alloc(ClBuffer.Type.F32, (long) n * F); ClBuffer u = ctx.alloc(ClBuffer.Type.F32, (long) n * F)) {
            cachePos.write(positions, 0, length, n);
            ops.embedding(embed, V, H, dIds, 0, n, x, 0);
            for (int l = 0; l < c.layers(); l++) {
                ClWeight[] L = layers[l];
                int kvOff = length * KV;
                ops.rmsNorm(x, 0, L[0], xn, 0, n, H, eps);
                ops.linear(xn, 0, L[1], q, 0, n, Q, H);
                // new keys and values go straight into their cache slots
                ops.linear(xn, 0, L[2], keys[l], kvOff, n, KV, H);
                ops.linear(xn, 0, L[3], values[l], kvOff, n, KV, H);
                ops.rope(q, 0, n, c.heads(), c.headDim(), qPos, 0, c.ropeTheta(), rope, false);
                ops.rope(keys[l], kvOff, n, c.kvHeads(), c.headDim(), qPos, 0, c.ropeTheta(), rope, false);
                ops.attentionForward(new ClAttention(q, 0, keys[l], 0, values[l], 0, att, 0, lse, 0, n, length + n,
                        c.heads(), c.kvHeads(), c.headDim(), qPos, cachePos, null, null, true, (float) (1.0 / Math.sqrt(c.headDim()))));
                ops.linear(att, 0, L[4], xn, 0, n, H, Q);
                ops.axpy(1f, xn, 0, x, 0, n * H);
                ops.rmsNorm(x, 0, L[5], xn, 0, n, H, eps);
                ops.linear(xn, 0, L[6], g, 0, n, F, H);
                ops.linear(xn, 0, L[7], u, 0, n, F, H);
                ops.swiglu(g, 0, u, 0, g, 0, n * F);
                ops.linear(g, 0, L[8], xn, 0, n, H, F);
                ops.axpy(1f, xn, 0, x, 0, n * H);
            }
            length += n;
            if (which == LlamaModel.Logits.NONE) return null;
            int from = which == LlamaModel.Logits.LAST ? n - 1 : 0, rows = n - from;
            ops.rmsNorm(x, from * H, finalNorm, xn, 0, rows, H, eps);
            try (ClBuffer logits = ctx.alloc(ClBuffer.Type.F32, (long) rows * V)) {
                ops.linear(xn, 0, lmHead, logits, 0, rows, V, H);
                float[] out = new float[Math.multiplyExact(rows, V)];
                logits.read(0, out, 0, out.length);
                return out;
            }
        }
    }

    @Override
    public void close() {
        embed.data().close();
        finalNorm.data().close();
        if (lmHead != embed) lmHead.data().close();
        for (ClWeight[] L : layers) for (ClWeight w : L) w.data().close();
        for (ClBuffer b : keys) b.close();
        for (ClBuffer b : values) b.close();
        cachePos.close();
    }
}
