package lwm.cli;

import lwm.kernels.Kernels;
import lwm.kernels.Backends;
import lwm.kernels.opencl.OpenClKernels;
import lwm.config.DeviceConfig;
import lwm.model.data.TextEncoder;
import lwm.model.train.TrainRun;
import lwm.model.train.TrainingPlan;

import java.nio.file.Path;

/**
 * {@code ./lwm train --plan FILE [--resume]}: progressive context-extension training (LWM stages),
 * with progress lines, {@code metrics.jsonl}, {@code loss.png}, checkpoints and per-stage exports.
 */
final class TrainCommand implements Command {
    public String name() { return "train"; }
    public String summary() { return "train an LWM/LLaMA model from a JSON stage plan (--plan FILE [--resume])"; }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("""
                    usage: ./lwm train --plan FILE [--resume] [--stop-after STEPS] [--device cpu|opencl:N[,M..]] [--ranks N]

                    Runs the stages of the plan (sequence length, RoPE theta, steps, lr, batch) one after the
                    other, each starting from the weights the previous one ended with. Writes into the plan's
                    output directory: metrics.jsonl, loss.png, checkpoints/step-N (model + optimizer + data
                    position) and stages/<i>-<name> (Hugging Face LLaMA checkpoints).
                      --resume          continue from the latest checkpoint (bit-for-bit the same losses)
                      --device opencl:N without --ranks trains device-resident: parameters, gradients, activations
                                        and AdamW moments stay on the device for the whole run (ids, targets and loss
                                        weights go in, the loss comes out; weights come back for checkpoints); the
                                        ranks of --ranks still run over the Kernels interface, copying host arrays at
                                        every kernel call
                      --stop-after N    stop after global step N (a checkpoint is written there if due)
                      --ranks N         sequence-parallel training over N MPJ Express rank JVMs (RingAttention);
                                        --sp S (default N; N/S data-parallel replicas, each
                                        training on its share of the batch_rows global batch), --ulysses U (default 1),
                                        --layout zigzag|contiguous|striped (default zigzag); LWM_RANK_HEAP per rank
                    Plan format: see model/TRAINING.md.""");
            return 0;
        }
        int ranks = Ranks.requested(args);
        if (ranks > 0 && !Ranks.inRank()) {
            TrainingPlan.read(Path.of(args.required("plan")));   // a bad plan is the user's one-line error, not N rank failures
            return Ranks.launch(name(), args, ranks);
        }
        Path planFile = Path.of(args.required("plan"));
        boolean resume = args.flag("resume");
        long stopAfter = args.longValue("stop-after", Long.MAX_VALUE);
        DeviceConfig device = Ranks.device(args.str("device", null));
        Ranks.Groups groups = null;
        Kernels k = Backends.create(device);
        if (Ranks.inRank()) groups = Ranks.groups(args, k);
        args.finish();
        TrainingPlan plan = TrainingPlan.read(planFile);
        TextEncoder enc = Encoders.forPlan(plan);
        java.io.PrintStream out = Ranks.out();
        boolean resident = k instanceof OpenClKernels && groups == null;
        out.printf("model: %d layers, hidden %d, %d heads (%d kv), vocab %d; %d stages, %d steps; kernels %s%s%n",
                plan.model().config().layers(), plan.model().config().hiddenSize(), plan.model().config().heads(),
                plan.model().config().kvHeads(), plan.model().config().vocabSize(), plan.stages().size(), plan.totalSteps(), k.name(),
                resident ? ", device-resident parameters, gradients and optimizer state"
                        : k instanceof OpenClKernels ? ", host arrays copied per kernel call (--ranks)" : "");
        TrainRun.Parallelism par = groups == null ? TrainRun.Parallelism.single(k)
                : new TrainRun.Parallelism(groups.attention(), groups.sync(), groups.partition(), groups.all().replica(), groups.all().replicas());
        TrainRun run = new TrainRun(plan, k, par, enc, out).stopAfter(stopAfter);
        if (resident) run.onDevice(((OpenClKernels) k).ops());
        run.run(resume);
        out.println("metrics: " + run.metricsFile() + "\nloss curve: " + plan.output().resolve("loss.png"));
        return 0;
    }
}
