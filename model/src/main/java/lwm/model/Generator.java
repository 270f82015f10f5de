package lwm.model;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Prefill then decode over one KV cache ({@link CachedForward}: host pages or device buffers). A
 * conversation is one generator: each call continues after the tokens already in the cache, so a chat
 * turn costs only its new tokens. The last sampled token is fed to the model at the start of the next
 * call (it has no logits to produce before then).
 */
public final class Generator {
    /** Observes progress: prefill chunks and each new token. */
    public interface Listener {
        default void prefill(int done, int total, double seconds) {}

        /** Returns false to stop generating (the token is kept). */
        default boolean token(int id) { return true; }
    }

    public record Result(int[] newTokens, boolean stoppedAtEos, int prefillTokens, double prefillSeconds, double decodeSeconds) {
        public double prefillTokensPerSecond() { return prefillTokens / Math.max(prefillSeconds, 1e-9); }

        /** Decode speed: tokens after the first (the first comes from the prefill's logits). */
        public double decodeTokensPerSecond() { return Math.max(newTokens.length - 1, 0) / Math.max(decodeSeconds, 1e-9); }
    }

    private final CachedForward model;
    private final int chunk;
    private int pending = -1; // sampled, not yet in the cache
    private int[] history = new int[0]; // ids in the cache, then pending if any
    private int historyLength;

    public Generator(LlamaModel model, KvCache cache, int prefillChunk) {
        this(model.on(cache), prefillChunk);
    }

    public Generator(CachedForward model, int prefillChunk) {
        if (prefillChunk <= 0) throw new IllegalArgumentException("prefill chunk must be positive");
        this.model = model;
        this.chunk = prefillChunk;
    }

    /** Every id of the conversation so far: the cached ones and the last sampled one. */
    public int[] tokens() { return Arrays.copyOf(history, historyLength); }

    /**
     * Forgets everything after the first {@code keep} ids of {@link #tokens()}, so that a conversation
     * re-encoded by a chat template reuses the cache up to where its ids still agree.
     */
    public void rewind(int keep) {
        if (keep < 0 || keep > historyLength) throw new IllegalArgumentException("cannot rewind " + historyLength + " tokens to " + keep);
        if (keep == historyLength) return;
        // the last kept id goes back to pending: its logits are what the next call samples from
        model.truncate(Math.max(keep - 1, 0));
        pending = keep > 0 ? history[keep - 1] : -1;
        historyLength = keep;
    }

    private void remember(int[] ids, int from, int n) {
        if (historyLength + n > history.length) history = Arrays.copyOf(history, Math.max(2 * history.length, historyLength + n));
        System.arraycopy(ids, from, history, historyLength, n);
        historyLength += n;
    }

    /**
     * Appends {@code prompt} to the conversation, then samples up to {@code maxNew} tokens, stopping after
     * a token for which {@code stop} is true (EOS; that token is returned too).
     */
    public Result generate(int[] prompt, int maxNew, Sampler sampler, IntPredicate stop, Listener listener) {
        int[] input = prompt;
        if (pending >= 0) {
            input = new int[prompt.length + 1];
            input[0] = pending;
            System.arraycopy(prompt, 0, input, 1, prompt.length);
        }
        if (input.length == 0) throw new IllegalArgumentException("empty prompt");
        if (model.length() + input.length + Math.max(maxNew - 1, 0) > model.capacity())
            throw new IllegalArgumentException("prompt of " + input.length + " tokens + " + maxNew + " new tokens exceeds the context of "
                    + model.capacity() + " (" + model.length() + " already used; raise --context)");
        pending = -1;
        remember(prompt, 0, prompt.length);
        long t0 = System.nanoTime();
        float[] logits = prefill(input, listener);
        double prefillSeconds = (System.nanoTime() - t0) / 1e9;
        int V = model.config().vocabSize();
        int[] out = new int[maxNew];
        int n = 0;
        boolean eos = false;
        long t1 = System.nanoTime();
        while (n < maxNew) {
            int next = sampler.sample(logits, 0, V);
            out[n++] = next;
            if (stop.test(next)) { eos = true; pending = next; break; }
            if (!listener.token(next)) { pending = next; break; }
            if (n == maxNew) { pending = next; break; }
            int pos = model.length();
            logits = model.forward(new int[]{next}, new int[]{pos}, LlamaModel.Logits.LAST);
        }
        if (eos) listener.token(out[n - 1]);
        remember(out, 0, n);
        return new Result(Arrays.copyOf(out, n), eos, input.length, prefillSeconds, (System.nanoTime() - t1) / 1e9);
    }

    /** Runs tokens through the model in chunks; returns the logits of the last one. */
    public float[] prefill(int[] ids, Listener listener) {
        long t0 = System.nanoTime();
        float[] logits = null;
        for (int s = 0; s < ids.length; s += chunk) {
            int e = Math.min(ids.length, s + chunk), base = model.length();
            int[] pos = new int[e - s];
            for (int i = 0; i < pos.length; i++) pos[i] = base + i;
            logits = model.forward(Arrays.copyOfRange(ids, s, e), pos,
                    e == ids.length ? LlamaModel.Logits.LAST : LlamaModel.Logits.NONE);
            listener.prefill(e, ids.length, (System.nanoTime() - t0) / 1e9);
        }
        return logits;
    }
}
