package lwm.cli;

import lwm.kernels.Kernels;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.TokenPartition;
import lwm.ring.Communicator;
import lwm.ring.ParallelGroups;
import lwm.ring.RankLauncher;
import lwm.ring.RankTask;
import lwm.ring.SequenceLayout;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --ranks N} for any command: the command starts N rank JVMs over MPJ Express
 * ({@link RankLauncher}); each rank runs the same command line (without --ranks) and, seeing
 * {@link #inRank()}, builds its share of the work from {@link #groups}. Options every ranked command
 * accepts: {@code --sp} sequence-parallel degree (default: all ranks; the rest are data-parallel
 * replicas), {@code --ulysses} Ulysses degree inside a sequence group (default 1 = pure ring),
 * {@code --layout contiguous|zigzag|striped} (default zigzag).
 */
final class Ranks {
    private static volatile Communicator world;

    private Ranks() {}

    static boolean inRank() { return world != null; }

    static Communicator world() { return world; }

    /** The --device choice for this process: in a rank, its own entry of an {@code opencl:N,M,...} list. */
    static lwm.config.DeviceConfig device(String flag) {
        lwm.config.DeviceConfig d = lwm.config.DeviceConfig.resolve(flag);
        return world == null ? d : d.forRank(world.rank());
    }

    /** This rank's share of a prompt or row under --layout (default zigzag) over all ranks. */
    static SequenceLayout layout(Args args) {
        SequenceLayout.Kind kind;
        try { kind = SequenceLayout.Kind.parse(args.str("layout", "zigzag")); }
        catch (IllegalArgumentException e) { throw new UsageError("--layout: " + e.getMessage()); }
        return SequenceLayout.of(kind, world.rank(), world.size());
    }

    /** Rank 0 prints; the others stay quiet so the output reads like one process. */
    static PrintStream out() {
        return world == null || world.rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
    }

    /** Validates --ranks; 0 when absent. */
    static int requested(Args args) {
        int n = args.integer("ranks", 0);
        if (args.has("ranks") && n < 1) throw new UsageError("--ranks must be at least 1, got " + n);
        return n;
    }

    /** Re-runs {@code command} with the same options in {@code ranks} rank JVMs; the exit code. */
    /**
     * For commands that read a model and a prompt: opens both once in this process, so a user mistake is one
     * line here rather than the same failure in N ranks, then starts the ranks.
     */
    static int checkModelAndLaunch(String command, Args args, int ranks) throws Exception {
        try (ModelSession s = new ModelSession(args)) {
            s.launchingRanks = true;
            s.open(false, System.err);
            s.prompt(args);
            args.str("layout", null);
            args.finish();
        }
        return launch(command, args, ranks);
    }

    static int launch(String command, Args args, int ranks) throws Exception {
        List<String> argv = new ArrayList<>();
        argv.add(command);
        for (String k : args.keys()) if (!k.equals("ranks")) argv.add("--" + k + "=" + args.str(k, null));
        argv.addAll(args.positional());
        RankLauncher.Result r = new RankLauncher(ranks, Task.class.getName()).args(argv)
                .output(System.out).rawOutput(0).errors(System.err).launch();
        if (!r.ok()) {
            System.err.println("lwm " + command + ": " + r.message());
            return 1;
        }
        return 0;
    }

    /** The rank-side parallel pieces a command hands to the model or the trainer. */
    record Groups(AttentionOp attention, GradientSync sync, TokenPartition partition, ParallelGroups all) {}

    static Groups groups(Args args, Kernels k) {
        Communicator w = world;
        int sp = args.integer("sp", w.size()), ulysses = args.integer("ulysses", 1);
        SequenceLayout.Kind kind = SequenceLayout.Kind.parse(args.str("layout", "zigzag"));
        ParallelGroups g = ParallelGroups.create(w, sp, ulysses, kind, k);
        return new Groups(g.attention(), g.gradients(), g.partition(), g);
    }

    /** What each rank JVM runs: the command line, with this rank's world installed. */
    public static final class Task implements RankTask {
        @Override
        public void run(Communicator w, String[] argv) {
            world = w;
            int rc = Main.run(argv);
            if (rc != 0) throw new IllegalStateException("'" + String.join(" ", argv) + "' exited with code " + rc + " on rank " + w.rank());
        }
    }
}
