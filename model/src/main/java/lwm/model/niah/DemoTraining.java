package lwm.model.niah;

import lwm.kernels.Kernels;
import lwm.model.data.PackedRow;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.TokenPartition;
import lwm.model.train.AdamW;
import lwm.model.train.LossWeighting;
import lwm.model.train.LrSchedule;
import lwm.model.train.Param;
import lwm.model.train.TrainStep;
import lwm.model.train.TrainableLlama;
import lwm.model.train.Trainer;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's training loop on one rank: stage after stage of {@link DemoPlan}, each continuing from the
 * previous stage's weights with the longer context and larger RoPE base. With a ring's attention,
 * gradient sync and token partition every rank runs this same loop on the same rows and holds the same
 * weights afterwards.
 */
public final class DemoTraining {
    private DemoTraining() {}

    /** Progress of rank 0 (other ranks pass a no-op). */
    public interface Listener {
        default void stage(int index, DemoPlan.Stage s, long parameters) {}

        default void step(int stage, int step, int stageSteps, double loss, double lr, long tokensDone, long tokensTotal, double seconds) {}

        /** After the last step of a stage, with the weights as they are then (every rank passes its own). */
        default void stageEnd(int index, DemoPlan.Stage s, TrainableLlama model) {}
    }

    /** One point of the loss curve: global step, stage, loss. */
    public record LossPoint(int step, int stage, double loss) {}

    public record Result(TrainableLlama model, List<LossPoint> losses, double seconds) {}

    public static Result train(DemoPlan plan, Kernels kernels, AttentionOp attention, GradientSync sync,
                               TokenPartition partition, Listener listener) {
        NiahData data = new NiahData(plan.minExample(), plan.promptLossWeight(), plan.repeats(), plan.seed());
        List<LossPoint> losses = new ArrayList<>();
        TrainableLlama model = null;
        long t0 = System.nanoTime(), done = 0, total = plan.trainingTokens();
        int global = 0;
        for (int si = 0; si < plan.stages().size(); si++) {
            DemoPlan.Stage s = plan.stages().get(si);
            model = si == 0 ? TrainableLlama.initialise(plan.config(0), plan.seed(), 0.02) : model.withConfig(plan.config(si));
            listener.stage(si, s, model.parameterCount());
            AdamW opt = AdamW.lwm(model.params(), 0.0);
            Trainer trainer = new Trainer(model, kernels, attention, sync, partition, TrainStep.Options.defaults(),
                    LossWeighting.perExample(), opt);
            int warm = si == 0 ? Math.min(20, s.steps() / 5) : Math.min(10, s.steps() / 5);
            // each stage anneals to 0, as in the prototype whose successful runs copied every digit: a floor of 10%
            // left the Java runs at an answer loss of ~0.1 and transposed digits (bench/demo/README.md)
            LrSchedule lr = new LrSchedule(LrSchedule.Kind.COSINE, s.lr(), 0.0, warm, s.steps());
            // later stages mix in the shorter lengths too, so the earlier skill is kept
            int minLen = si == 0 ? plan.minExample() : Math.max(plan.minExample(), plan.stages().get(si - 1).length() / 2);
            for (int step = 0; step < s.steps(); step++) {
                List<PackedRow> batch = new ArrayList<>(s.rows());
                for (int r = 0; r < s.rows(); r++) batch.add(data.row(si, (long) step * s.rows() + r, s.length(), minLen,
                        compactShare(plan, si, step, s.steps()), si == 0 ? 0 : plan.longFraction()));
                // the step's rows go round the ring as one sequence (segments keep them apart): a fourth of the
                // collectives and kernel launches of row-by-row accumulation, which dominate 512-token rows
                Trainer.StepResult res = trainer.train(List.of(PackedRow.concat(batch)), lr.at(step + 1));
                done += res.tokens();
                losses.add(new LossPoint(global++, si, res.loss()));
                listener.step(si, step, s.steps(), res.loss(), res.lr(), done, total, (System.nanoTime() - t0) / 1e9);
            }
            listener.stageEnd(si, s, model);
        }
        return new Result(model, losses, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Share of short examples without the chat prompt: the plan's fraction over the first half of stage 1 (it
     * makes retrieval learnable), a quarter of it afterwards, so that the prompt the evaluation uses is what the
     * model practises once it retrieves.
     */
    static double compactShare(DemoPlan plan, int stage, int step, int steps) {
        return stage == 0 && step < steps / 2 ? plan.compactFraction() : plan.compactFraction() / 4;
    }

    /** Inference weights viewing the trainable parameters (no copy). */
    public static lwm.model.LlamaWeights weightsOf(TrainableLlama model) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Param p : model.params()) tensors.put(p.name, p.tensor());
        return lwm.model.LlamaWeights.from(model.config(), lwm.model.TensorSource.of(tensors));
    }

    /** Writes the model as a Hugging Face checkpoint directory (config.json + model.safetensors, f32). */
    public static void save(TrainableLlama model, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Param p : model.params()) tensors.put(p.name, Tensor.ofFloats(arena, p.data, p.shape));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        Path tmp = Files.createTempFile(dir, "config.json", ".tmp");
        model.config().write(tmp, "float32");
        Files.move(tmp, dir.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
