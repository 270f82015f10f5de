package lwm.model.niah;

import lwm.model.LlamaConfig;

import java.util.List;

/**
 * What {@code ./lwm demo} trains: a small LLaMA over the {@link CharCodec} vocabulary, trained on needle
 * retrieval with progressive context extension (each stage a longer row and a larger RoPE base, as LWM
 * went 32K -> 1M with theta 1M -> 50M), then evaluated on a needle grid that reaches past the last stage.
 */
public record DemoPlan(int hidden, int layers, int heads, int intermediate, List<Stage> stages, int minExample, double compactFraction,
                       double longFraction, float promptLossWeight, boolean repeats, long seed, int[] evalLengths, int evalDepths, int evalTrials) {

    /**
     * {@code compactFraction}: share of short examples without the chat prompt in the first half of stage 1 (a
     * quarter of it afterwards, {@link DemoTraining#compactShare}); the curriculum that helped the PyTorch prototype most. {@code longFraction}: in the
     * extension stages, the chance that an example takes the whole rest of its row, so that prompts of the full
     * stage length are trained (a uniform length draw leaves mostly short ones; the prototype's models then
     * passed their rows but failed full-length prompts, bench/demo/README.md).
     */

    /** One stage: rows of {@code length} tokens, RoPE base {@code theta}, {@code steps} updates of {@code rows} rows each. */
    public record Stage(int length, double theta, int steps, int rows, double lr) {
        public Stage {
            if (length < 1 || steps < 1 || rows < 1 || !(theta > 0) || !(lr > 0))
                throw new IllegalArgumentException("stage needs positive length, theta, steps, rows and lr");
        }
    }

    public DemoPlan {
        if (stages.isEmpty()) throw new IllegalArgumentException("plan has no stage");
        if (hidden % heads != 0) throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads);
        if (!(compactFraction >= 0 && compactFraction <= 1) || !(longFraction >= 0 && longFraction <= 1))
            throw new IllegalArgumentException("compact and long fractions must lie in [0, 1]");
        stages = List.copyOf(stages);
    }

    public int maxTrainedLength() { return stages.stream().mapToInt(Stage::length).max().orElseThrow(); }

    public long trainingTokens() { return stages.stream().mapToLong(s -> (long) s.length() * s.rows() * s.steps()).sum(); }

    /** The model configuration of stage {@code i}. */
    public LlamaConfig config(int i) {
        Stage s = stages.get(i);
        return new LlamaConfig(CharCodec.VOCAB, hidden, intermediate, layers, heads, heads, hidden / heads,
                s.length(), s.theta(), 1e-6f, false, CharCodec.BOS, CharCodec.EOS);
    }
}
