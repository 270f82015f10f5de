package lwm.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.kernels.Kernels;
import lwm.kernels.opencl.ClOps;
import lwm.model.LlamaConfig;
import lwm.model.data.JsonlDocuments;
import lwm.model.data.PackedRow;
import lwm.model.data.PackingLoader;
import lwm.model.data.TextEncoder;
import lwm.model.opencl.ClTrainer;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.LocalAttention;
import lwm.model.parallel.TokenPartition;
import lwm.model.plot.LinePlot;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link TrainingPlan}: stage after stage (each starting from the weights the previous one ended
 * with, under its own context length and RoPE base), with progress lines, a JSONL metrics log
 * ({@code metrics.jsonl}), a loss curve ({@code loss.png}), periodic checkpoints
 * ({@code checkpoints/step-N}) and a Hugging Face export of every finished stage
 * ({@code stages/<i>-<name>}). {@link #run(boolean) run(true)} resumes from the latest checkpoint and
 * reproduces bit for bit the losses an uninterrupted run would have had.
 *
 * <p>Only rank 0 writes files. Data parallelism: a stage's {@code batch_rows} is the global batch (as
 * LWM's batch size, sharded over its data-parallel axis); replica r of R trains on rows r, r+R, r+2R, ...
 * of it, and the ranks of one sequence-parallel group share their replica's rows. Every rank still
 * reads the whole global batch from its own loader, so all loaders stay in the same state and the data
 * position in a checkpoint is exact whatever the replica count (a run may resume with other ranks).
 * The trainer sums loss denominators and gradients over the world, so the step equals one process
 * training on the whole global batch.
 */
public final class TrainRun {

    /**
     * The distributed seams; {@link #single} for one process. {@code replica} of {@code replicas} is
     * this rank's data-parallel replica (the rows it trains on), {@code sync} reduces over all of them.
     */
    public record Parallelism(AttentionOp attention, GradientSync sync, TokenPartition partition, int replica, int replicas) {
        public Parallelism {
            if (replicas < 1 || replica < 0 || replica >= replicas) throw new IllegalArgumentException("replica " + replica + " of " + replicas);
        }

        /** Sequence parallelism only: one replica. */
        public Parallelism(AttentionOp attention, GradientSync sync, TokenPartition partition) { this(attention, sync, partition, 0, 1); }

        public static Parallelism single(Kernels k) { return new Parallelism(new LocalAttention(k), GradientSync.SINGLE, TokenPartition.WHOLE); }

        /** This replica's share of a global batch: rows replica, replica + replicas, ... */
        public <T> List<T> share(List<T> global) {
            List<T> mine = new ArrayList<>((global.size() + replicas - 1) / replicas);
            for (int i = replica; i < global.size(); i += replicas) mine.add(global.get(i));
            return mine;
        }
    }

    /** One logged step. */
    public record StepLog(long step, int stage, int stageStep, double loss, double gradNorm, double lr, double tokensPerSecond) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainingPlan plan;
    private final Kernels kernels;
    private final Parallelism par;
    private final TextEncoder encoder;
    private final PrintStream out;
    private long stopAfter = Long.MAX_VALUE;
    private ClOps device;

    public TrainRun(TrainingPlan plan, Kernels kernels, Parallelism par, TextEncoder encoder, PrintStream out) {
        this.plan = plan;
        this.kernels = kernels;
        this.par = par;
        this.encoder = encoder;
        this.out = out;
    }

    /**
     * Trains device-resident on these operations ({@link ClTrainer}: parameters, gradients and AdamW state stay
     * on the device, downloaded for checkpoints and stage exports). One process only: the distributed seams
     * of {@link Parallelism} are not used.
     */
    public TrainRun onDevice(ClOps ops) {
        if (par.replicas() != 1 || par.sync().size() != 1) throw new IllegalArgumentException("device-resident training runs in one process");
        this.device = ops;
        return this;
    }

    /** Stops after this global step as if interrupted (tests of resumption). */
    public TrainRun stopAfter(long globalStep) { this.stopAfter = globalStep; return this; }

    private boolean writer() { return par.sync().rank() == 0; }

    public Path checkpointRoot() { return plan.output().resolve("checkpoints"); }

    public Path metricsFile() { return plan.output().resolve("metrics.jsonl"); }

    public Path stageDir(int i) { return plan.output().resolve("stages").resolve(i + "-" + plan.stages().get(i).name()); }

    /** Runs (or resumes) the plan; returns the steps run in this session. */
    public List<StepLog> run(boolean resume) throws IOException {
        Path ckRoot = checkpointRoot();
        Checkpoints.State state = null;
        Path resumeDir = null;
        if (resume) {
            resumeDir = Checkpoints.latest(ckRoot);
            if (resumeDir == null) throw new IllegalArgumentException(ckRoot + ": no checkpoint to resume from");
            state = Checkpoints.readState(resumeDir);
            if (state.stage() >= plan.stages().size())
                throw new IllegalArgumentException(resumeDir + ": checkpoint is at stage " + state.stage() + " but the plan has " + plan.stages().size());
            if (writer()) truncateMetrics(state.globalStep());
        } else if (Checkpoints.latest(ckRoot) != null) {
            throw new IllegalArgumentException(plan.output() + " already holds a run (use --resume to continue it, or another output)");
        } else if (writer()) {
            Files.createDirectories(plan.output());
            Files.deleteIfExists(metricsFile());
        }

        int firstStage = state == null ? 0 : state.stage();
        long global = state == null ? 0 : state.globalStep();
        TrainableLlama model = null;
        List<StepLog> logs = new ArrayList<>();
        long totalTokens = 0;
        for (int s = 0; s < plan.stages().size(); s++) totalTokens += plan.stages().get(s).tokensPerBatch() * plan.stages().get(s).steps();
        long doneTokens = 0;
        for (int s = 0; s < firstStage; s++) doneTokens += plan.stages().get(s).tokensPerBatch() * plan.stages().get(s).steps();
        if (state != null) doneTokens += plan.stages().get(firstStage).tokensPerBatch() * state.stageStep();
        long sessionTokens = 0, t0 = System.nanoTime();

        for (int s = firstStage; s < plan.stages().size(); s++) {
            TrainingPlan.Stage stage = plan.stages().get(s);
            LlamaConfig cfg = plan.configOf(s);
            boolean resumingHere = state != null && s == state.stage();
            if (resumingHere) model = Checkpoints.loadModel(resumeDir, cfg);
            else if (model != null) model = model.withConfig(cfg); // the previous stage's final weights
            else model = plan.model().init() == null
                    ? TrainableLlama.initialise(cfg, plan.model().seed(), plan.model().initStd())
                    : Checkpoints.loadModel(plan.model().init(), cfg);

            var o = plan.optimizer();
            AdamW opt = new AdamW(model.params(), o.beta1(), o.beta2(), o.eps(), o.weightDecay(), o.clip());
            if (resumingHere) Checkpoints.loadOptimizer(resumeDir, model, opt);
            int firstStep = resumingHere ? state.stageStep() : 0;
            if (firstStep < stage.steps()) out.printf("stage %d/%d '%s': seq_len %d, rope_theta %.4g, %d steps of %d rows (%d tokens%s), lr %.3g%s%n",
                    s + 1, plan.stages().size(), stage.name(), stage.seqLen(), stage.ropeTheta(), stage.steps(), stage.batchRows(),
                    stage.tokensPerBatch(), par.replicas() == 1 ? "" : "; " + par.replicas() + " data-parallel replicas of "
                            + (stage.batchRows() / par.replicas()) + (stage.batchRows() % par.replicas() == 0 ? "" : "-" + (stage.batchRows() / par.replicas() + 1)) + " rows",
                    stage.schedule().peak(), firstStep > 0 ? ", resuming at step " + firstStep : "");

            if (device != null) ClTrainer.check(cfg, model.parameterCount(), stage.seqLen(), plan.options(), device.context().device());
            try (JsonlDocuments docs = JsonlDocuments.open(stage.data(), encoder);
                 ClTrainer onDevice = device == null ? null : new ClTrainer(model, opt, device, plan.options(), plan.lossWeighting())) {
                PackingLoader loader = new PackingLoader(docs, stage.seqLen(), plan.data().seed() + s, plan.data().resetPositions(),
                        cfg.bosId(), resumingHere ? state.data() : PackingLoader.State.START);
                Trainer trainer = onDevice != null ? null
                        : new Trainer(model, kernels, par.attention(), par.sync(), par.partition(), plan.options(), plan.lossWeighting(), opt);
                for (int step = firstStep; step < stage.steps(); step++) {
                    long ts = System.nanoTime();
                    List<PackedRow> rows = new ArrayList<>(stage.batchRows());
                    for (int r = 0; r < stage.batchRows(); r++) rows.add(loader.next());
                    long batchTokens = 0;
                    for (PackedRow row : rows) batchTokens += row.length();
                    Trainer.StepResult res = onDevice != null ? onDevice.train(rows, stage.schedule().at(step))
                            : trainer.train(par.share(rows), stage.schedule().at(step));
                    if (!Double.isFinite(res.loss())) throw new IllegalStateException("loss is " + res.loss() + " at step " + (global + 1) + " (stage '" + stage.name() + "'): lower the learning rate");
                    global++;
                    double secs = (System.nanoTime() - ts) / 1e9;
                    sessionTokens += batchTokens;
                    doneTokens += batchTokens;
                    double rate = batchTokens / secs, avg = sessionTokens / ((System.nanoTime() - t0) / 1e9);
                    StepLog log = new StepLog(global, s, step + 1, res.loss(), res.gradNorm(), res.lr(), rate);
                    logs.add(log);
                    if (writer()) appendMetrics(log, stage, batchTokens);
                    if (writer() && ((step + 1) % plan.logEvery() == 0 || step + 1 == stage.steps()))
                        out.printf("[%s %d/%d] step %d/%d  loss %.4f  |g| %.3f  lr %.3g  %.0f tok/s  ETA %s%n", stage.name(), step + 1, stage.steps(),
                                global, plan.totalSteps(), res.loss(), res.gradNorm(), res.lr(), rate, eta((totalTokens - doneTokens) / avg));
                    boolean last = step + 1 == stage.steps();
                    if (writer() && (last || (plan.checkpointEvery() > 0 && global % plan.checkpointEvery() == 0))) {
                        if (onDevice != null) onDevice.download();
                        Checkpoints.save(checkpointRoot(), String.format("step-%07d", global), model, opt,
                                new Checkpoints.State(s, step + 1, global, opt.step(), loader.state()));
                        plot();
                    }
                    if (global >= stopAfter) {
                        out.println("stopped after step " + global + " (as requested)");
                        return logs;
                    }
                }
                if (onDevice != null) onDevice.download(); // the stage export and the next stage start from these weights
            }
            if (writer()) {
                Checkpoints.exportModel(stageDir(s), model);
                out.println("stage '" + stage.name() + "' done: model written to " + stageDir(s));
            }
        }
        if (writer()) plot();
        return logs;
    }

    static String eta(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    private void appendMetrics(StepLog l, TrainingPlan.Stage stage, long tokens) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", l.step()).put("stage", stage.name()).put("stage_index", l.stage()).put("stage_step", l.stageStep())
                .put("seq_len", stage.seqLen()).put("rope_theta", stage.ropeTheta()).put("loss", l.loss()).put("grad_norm", l.gradNorm())
                .put("lr", l.lr()).put("tokens", tokens).put("tokens_per_s", l.tokensPerSecond());
        Files.writeString(metricsFile(), o + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Resuming from step N: the log keeps steps 1..N, which the resumed run then extends. */
    private void truncateMetrics(long step) throws IOException {
        Path f = metricsFile();
        if (!Files.exists(f)) return;
        StringBuilder keep = new StringBuilder();
        for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) continue;
            if (JSON.readTree(line).path("step").asLong() <= step) keep.append(line).append('\n');
        }
        Checkpoints.writeAtomically(f, keep.toString());
    }

    /** The loss curve so far, with the stage boundaries marked. */
    public void plot() {
        try {
            if (!Files.exists(metricsFile())) return;
            List<String> lines = Files.readAllLines(metricsFile());
            List<double[]> pts = new ArrayList<>();
            LinePlot p = new LinePlot("Training loss (" + plan.output().getFileName() + ")", "optimizer step", "loss (nats per token)");
            int lastStage = -1;
            for (String line : lines) {
                if (line.isBlank()) continue;
                JsonNode n = JSON.readTree(line);
                pts.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
                int st = n.get("stage_index").asInt();
                if (st != lastStage) {
                    p.marker(n.get("step").asDouble() - 1, n.get("stage").asText() + " (" + n.get("seq_len").asInt() + ")");
                    lastStage = st;
                }
            }
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
            p.add("loss", x, y).writePng(plan.output().resolve("loss.png"), 900, 500);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
