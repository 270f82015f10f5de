package lwm.model.niah;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link NiahGrid}: builds each prompt, asks the model (greedy decoding behind a {@link Responder}),
 * scores whether each asked needle's number appears in the response, and collects a {@link NiahReport}.
 */
public final class NiahEvaluator {
    /** Whatever produces a response to a prompt: greedy decoding of a model, in the harness. */
    @FunctionalInterface
    public interface Responder {
        String respond(int[] promptIds, int maxNewTokens);
    }

    /** Progress: one call per finished prompt. */
    @FunctionalInterface
    public interface Progress {
        void done(int finished, int total, NiahCase c, String response, boolean[] correct);
    }

    private final PromptCodec codec;
    private final boolean repeats;

    public NiahEvaluator(PromptCodec codec, boolean repeats) {
        this.codec = codec;
        this.repeats = repeats;
    }

    public NiahReport run(NiahGrid grid, Responder responder, int maxNewTokens, Progress progress) {
        int L = grid.lengths().length, D = grid.depths().length;
        double[][] acc = new double[D][L];
        List<NiahReport.Sample> samples = new ArrayList<>();
        int total = grid.cells() * grid.trials(), finished = 0;
        long t0 = System.nanoTime();
        for (int li = 0; li < L; li++) {
            for (int di = 0; di < D; di++) {
                double hits = 0;
                for (int t = 0; t < grid.trials(); t++) {
                    NiahCase c = NeedleTask.build(codec, grid.lengths()[li], grid.depths()[di], grid.needles(), grid.asked(),
                            grid.caseSeed(li, di, t), repeats);
                    String response = responder.respond(c.promptIds(), maxNewTokens);
                    boolean[] ok = c.score(response);
                    int n = 0;
                    for (boolean b : ok) if (b) n++;
                    hits += (double) n / ok.length;
                    if (t == 0) samples.add(new NiahReport.Sample(c.contextLength(), c.depth(), c.promptIds().length,
                            String.join(",", c.cities()), c.answer(), response, n == ok.length));
                    progress.done(++finished, total, c, response, ok);
                }
                acc[di][li] = hits / grid.trials();
            }
        }
        return new NiahReport(grid, acc, samples, (System.nanoTime() - t0) / 1e9);
    }
}
