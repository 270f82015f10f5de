package lwm.model.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.RopeStyle;
import lwm.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A progressive context-extension run (LWM: 32K -> 1M tokens, RoPE theta 1M -> 50M) read from JSON.
 * Every stage starts from the weights the previous stage ended with, under its own sequence length,
 * RoPE base, schedule and batch size. Example:
 * <pre>
 * {
 *   "output": "runs/tiny",
 *   "model": {"config": "tiny" | "path/config.json" | {HF config object}, "init": "random" | "path/to/hf-dir", "seed": 0, "init_std": 0.02},
 *   "data": {"train": "docs.jsonl", "tokenizer": "path", "seed": 1, "reset_positions": false},
 *   "optimizer": {"weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "clip": 1.0},
 *   "training": {"block_q": 256, "block_k": 512, "mlp_chunk": 1024, "lm_chunk": 256, "remat": false,
 *                "loss": "per_example" | "vision_text", "checkpoint_every": 50, "log_every": 1},
 *   "stages": [
 *     {"name": "32K", "seq_len": 32768, "rope_theta": 1e6, "steps": 1200, "lr": 4e-5,
 *      "schedule": "constant", "warmup": 100, "batch_rows": 128, "data": "books-32k.jsonl"},
 *     ...
 *   ]
 * }
 * </pre>
 * {@code tokens_per_batch} may replace {@code batch_rows} (rows = tokens / seq_len). Every mistake is
 * one line naming the file and the field, e.g. {@code plan.json: stages[1].seq_len: must be a positive integer}.
 */
public record TrainingPlan(Path file, Path output, ModelSpec model, DataSpec data, OptimizerSpec optimizer,
                           TrainStep.Options options, String loss, int checkpointEvery, int logEvery, List<Stage> stages) {

    public record ModelSpec(LlamaConfig config, Path init, long seed, double initStd) {}

    public record DataSpec(Path train, Path tokenizer, long seed, boolean resetPositions) {}

    public record OptimizerSpec(double weightDecay, double beta1, double beta2, double eps, double clip) {}

    public record Stage(String name, int seqLen, double ropeTheta, int steps, LrSchedule schedule, int batchRows, Path data) {
        public long tokensPerBatch() { return (long) seqLen * batchRows; }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads and validates a plan; relative paths are resolved against the plan's directory. */
    public static TrainingPlan read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": invalid JSON at line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read plan: " + e.getMessage());
        }
        try {
            return parse(file, root);
        } catch (PlanError e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    /** A problem at one field of the plan. */
    static final class PlanError extends RuntimeException {
        PlanError(String field, String message) { super(field + ": " + message); }
    }

    static TrainingPlan parse(Path file, JsonNode root) {
        if (root == null || !root.isObject()) throw new PlanError("(top level)", "must be a JSON object");
        Path base = file.toAbsolutePath().getParent();
        known(root, "", Set.of("output", "model", "data", "optimizer", "training", "stages"));

        Path output = base.resolve(str(root, "", "output", null));

        JsonNode m = obj(root, "", "model");
        known(m, "model.", Set.of("config", "init", "seed", "init_std"));
        JsonNode cfgNode = m.get("config");
        LlamaConfig config;
        String initName = m.path("init").asText("random");
        if ((cfgNode == null || cfgNode.isNull()) && !initName.equals("random") && Files.isRegularFile(base.resolve(initName).resolve("config.json")))
            cfgNode = JSON.getNodeFactory().textNode(base.resolve(initName).resolve("config.json").toString()); // the checkpoint's own config
        if (cfgNode == null || cfgNode.isNull()) throw new PlanError("model.config", "missing (a preset name, a config.json path, or a config object)");
        try {
            if (cfgNode.isObject()) config = LlamaConfig.fromJson(cfgNode);
            else if (cfgNode.isTextual()) {
                String s = cfgNode.textValue();
                config = lwm.model.Presets.all().containsKey(s) ? lwm.model.Presets.get(s) : lwm.model.Presets.get(base.resolve(s).toString());
            } else throw new IllegalArgumentException("must be a preset name, a path or an object");
        } catch (IllegalArgumentException e) {
            throw new PlanError("model.config", e.getMessage());
        }
        String init = str(m, "model.", "init", "random");
        Path initPath = init.equals("random") ? null : base.resolve(init);
        if (initPath != null && !Files.isDirectory(initPath)) throw new PlanError("model.init", "'" + init + "' is not a checkpoint directory (or \"random\")");
        ModelSpec model = new ModelSpec(config, initPath, integer(m, "model.", "seed", 0, Integer.MIN_VALUE), real(m, "model.", "init_std", 0.02, 0, false));

        JsonNode d = obj(root, "", "data");
        known(d, "data.", Set.of("train", "tokenizer", "seed", "reset_positions"));
        Path train = d.hasNonNull("train") ? base.resolve(str(d, "data.", "train", null)) : null;
        String tok = str(d, "data.", "tokenizer", "");
        DataSpec data = new DataSpec(train, tok.isEmpty() ? null : base.resolve(tok), integer(d, "data.", "seed", 1, Integer.MIN_VALUE),
                bool(d, "data.", "reset_positions", false));

        JsonNode o = root.has("optimizer") ? obj(root, "", "optimizer") : JSON.createObjectNode();
        known(o, "optimizer.", Set.of("weight_decay", "beta1", "beta2", "eps", "clip"));
        OptimizerSpec opt = new OptimizerSpec(real(o, "optimizer.", "weight_decay", 0.1, 0, false),
                real(o, "optimizer.", "beta1", 0.9, 0, false), real(o, "optimizer.", "beta2", 0.95, 0, false),
                real(o, "optimizer.", "eps", 1e-8, 0, true), real(o, "optimizer.", "clip", 1.0, 0, false));
        if (opt.beta1() >= 1) throw new PlanError("optimizer.beta1", "must be below 1, got " + opt.beta1());
        if (opt.beta2() >= 1) throw new PlanError("optimizer.beta2", "must be below 1, got " + opt.beta2());

        JsonNode t = root.has("training") ? obj(root, "", "training") : JSON.createObjectNode();
        known(t, "training.", Set.of("block_q", "block_k", "mlp_chunk", "lm_chunk", "remat", "loss", "checkpoint_every", "log_every", "rope_style"));
        TrainStep.Options def = TrainStep.Options.defaults();
        String rope = str(t, "training.", "rope_style", "rotate_half");
        RopeStyle style = switch (rope) {
            case "rotate_half" -> RopeStyle.ROTATE_HALF;
            case "interleaved" -> RopeStyle.INTERLEAVED;
            default -> throw new PlanError("training.rope_style", "must be \"rotate_half\" or \"interleaved\", got \"" + rope + "\"");
        };
        TrainStep.Options options = new TrainStep.Options(integer(t, "training.", "block_q", def.blockQ(), 1),
                integer(t, "training.", "block_k", def.blockK(), 1), integer(t, "training.", "mlp_chunk", def.mlpChunk(), 1),
                integer(t, "training.", "lm_chunk", def.lmChunk(), 1), bool(t, "training.", "remat", false), style);
        String loss = str(t, "training.", "loss", "per_example");
        if (!loss.equals("per_example") && !loss.equals("vision_text"))
            throw new PlanError("training.loss", "must be \"per_example\" or \"vision_text\", got \"" + loss + "\"");

        JsonNode st = root.get("stages");
        if (st == null || !st.isArray() || st.isEmpty()) throw new PlanError("stages", "must be a non-empty array of stages");
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < st.size(); i++) {
            String p = "stages[" + i + "].";
            JsonNode s = st.get(i);
            if (!s.isObject()) throw new PlanError("stages[" + i + "]", "must be an object");
            known(s, p, Set.of("name", "seq_len", "rope_theta", "steps", "lr", "end_lr", "schedule", "warmup", "decay_steps",
                    "batch_rows", "tokens_per_batch", "data"));
            int seq = integer(s, p, "seq_len", -1, 2);
            double theta = real(s, p, "rope_theta", config.ropeTheta(), 0, true);
            int steps = integer(s, p, "steps", -1, 1);
            double lr = real(s, p, "lr", -1, 0, false);
            String kind = str(s, p, "schedule", "constant");
            LrSchedule.Kind k = switch (kind) {
                case "constant" -> LrSchedule.Kind.CONSTANT;
                case "cosine" -> LrSchedule.Kind.COSINE;
                default -> throw new PlanError(p + "schedule", "must be \"constant\" or \"cosine\", got \"" + kind + "\"");
            };
            int warmup = integer(s, p, "warmup", 0, 0);
            LrSchedule sched = new LrSchedule(k, lr, real(s, p, "end_lr", k == LrSchedule.Kind.CONSTANT ? lr : 0, 0, false), warmup,
                    integer(s, p, "decay_steps", steps, 1));
            int rows;
            if (s.has("batch_rows") && s.has("tokens_per_batch")) throw new PlanError(p + "batch_rows", "give batch_rows or tokens_per_batch, not both");
            if (s.has("tokens_per_batch")) {
                long tpb = integer(s, p, "tokens_per_batch", -1, 1);
                if (tpb % seq != 0) throw new PlanError(p + "tokens_per_batch", tpb + " is not a multiple of seq_len " + seq);
                rows = (int) (tpb / seq);
            } else rows = integer(s, p, "batch_rows", 1, 1);
            Path sd = s.hasNonNull("data") ? base.resolve(str(s, p, "data", null)) : train;
            if (sd == null) throw new PlanError(p + "data", "no data file (set data.train or the stage's data)");
            if (!Files.isRegularFile(sd)) throw new PlanError(s.hasNonNull("data") ? p + "data" : "data.train", sd + " is not a file");
            stages.add(new Stage(str(s, p, "name", "stage" + i), seq, theta, steps, sched, rows, sd));
        }
        return new TrainingPlan(file, output, model, data, opt, options, loss,
                integer(t, "training.", "checkpoint_every", 0, 0), integer(t, "training.", "log_every", 1, 1), List.copyOf(stages));
    }

    public LossWeighting lossWeighting() { return loss.equals("vision_text") ? LossWeighting.visionText() : LossWeighting.perExample(); }

    /** The model configuration of stage i (its context length and RoPE base). */
    public LlamaConfig configOf(int i) {
        Stage s = stages.get(i);
        return model.config().withContext(s.seqLen(), s.ropeTheta());
    }

    public long totalSteps() { return stages.stream().mapToLong(Stage::steps).sum(); }

    // ---------------------------------------------------------------- field readers

    private static void known(JsonNode n, String prefix, Set<String> fields) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) throw new PlanError(prefix + f, "unknown field (known: " + String.join(", ", new java.util.TreeSet<>(fields)) + ")");
        }
    }

    private static JsonNode obj(JsonNode n, String prefix, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new PlanError(prefix + field, "missing");
        if (!v.isObject()) throw new PlanError(prefix + field, "must be an object");
        return v;
    }

    private static String str(JsonNode n, String prefix, String field, String def) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (def == null) throw new PlanError(prefix + field, "missing");
            return def;
        }
        if (!v.isTextual()) throw new PlanError(prefix + field, "must be a string, got " + v);
        return v.textValue();
    }

    private static int integer(JsonNode n, String prefix, String field, int def, int min) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (def == -1) throw new PlanError(prefix + field, "missing");
            return def;
        }
        if (!v.isIntegralNumber() && !(v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())))
            throw new PlanError(prefix + field, "must be an integer, got " + v);
        if (!v.canConvertToInt() && v.doubleValue() > Integer.MAX_VALUE) throw new PlanError(prefix + field, "too large: " + v);
        int x = v.intValue();
        if (x < min) throw new PlanError(prefix + field, "must be at least " + min + ", got " + x);
        return x;
    }

    private static double real(JsonNode n, String prefix, String field, double def, double min, boolean strict) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (def == -1) throw new PlanError(prefix + field, "missing");
            return def;
        }
        if (!v.isNumber()) throw new PlanError(prefix + field, "must be a number, got " + v);
        double x = v.doubleValue();
        if (strict ? !(x > min) : !(x >= min)) throw new PlanError(prefix + field, "must be " + (strict ? "> " : ">= ") + min + ", got " + x);
        return x;
    }

    private static boolean bool(JsonNode n, String prefix, String field, boolean def) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return def;
        if (!v.isBoolean()) throw new PlanError(prefix + field, "must be true or false, got " + v);
        return v.booleanValue();
    }
}
