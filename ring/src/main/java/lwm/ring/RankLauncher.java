package lwm.ring;

import lwm.config.JvmFlags;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Starts N rank JVMs running a {@link RankTask} over MPJ Express (niodev), watches them and reports.
 * The launcher itself serves the niodev rendezvous and the {@link Supervisor}, so no mpjrun, daemon,
 * ssh or fixed port is involved. Each rank gets the JVM flags of {@code tornado-config/jvm.properties}
 * ({@link JvmFlags}), a heap of {@code LWM_RANK_HEAP} (default 1g: ranks share the machine) and a
 * classpath of this JVM's classpath plus MPJ and log4j from the private {@link MpjHome}.
 *
 * <p>Ranks may run elsewhere: {@link #prefix} puts a command before {@code java} per rank (for example
 * {@code ip netns exec hostB} or {@code ssh hostB}); environment then goes through {@code env}, and
 * {@link #bind} must be an address every rank can reach.
 *
 * <p>Outcome: all ranks exit 0, or the first failure wins and the {@link Result} names that rank; the
 * other ranks get ABORT and exit non-zero on their own; any still alive after a grace period are killed.
 */
public final class RankLauncher {
    private final int ranks;
    private final String task;
    private final List<String> args = new ArrayList<>();
    private InetAddress bind;
    private IntFunction<List<String>> prefix = r -> List.of();
    private PrintStream out = System.out;
    private String heap;
    private final Map<String, String> sysProps = new LinkedHashMap<>();
    private long graceSeconds = 15;
    private boolean multicore;
    private PrintStream err;          // null: stderr goes to out with stdout
    private int rawRank = -1;         // this rank's stdout is passed through without the [rank r] prefix

    public RankLauncher(int ranks, String taskClass) {
        if (ranks < 1) throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
        this.ranks = ranks;
        this.task = taskClass;
        this.bind = InetAddress.getLoopbackAddress();
        String h = System.getenv("LWM_RANK_HEAP");
        this.heap = "-Xmx" + (h != null && !h.isBlank() ? h.trim() : "1g");
    }

    public RankLauncher args(String... a) { Collections.addAll(args, a); return this; }

    public RankLauncher args(List<String> a) { args.addAll(a); return this; }

    public RankLauncher bind(InetAddress a) { this.bind = a; return this; }

    public RankLauncher prefix(IntFunction<List<String>> p) { this.prefix = p; return this; }

    public RankLauncher output(PrintStream o) { this.out = o; return this; }

    /** Ranks' stderr to its own stream (prefixed) instead of mixed into {@link #output}. */
    public RankLauncher errors(PrintStream e) { this.err = e; return this; }

    /** Rank r's stdout unprefixed, so a command run in ranks prints what it prints in one process. */
    public RankLauncher rawOutput(int rank) { this.rawRank = rank; return this; }

    public RankLauncher heap(String xmx) { this.heap = "-Xmx" + xmx; return this; }

    public RankLauncher systemProperty(String k, String v) { sysProps.put(k, v); return this; }

    /**
     * MPJ Express's multicore device instead of niodev: the ranks are threads of ONE child JVM
     * (MulticoreStarter, one class loader per rank), no sockets. There is no supervisor in this mode:
     * deadlines bound every wait, a failing rank ends the JVM, and the failed rank is read from its
     * message. The heap ({@link #heap}) is then shared by all ranks.
     */
    public RankLauncher multicore(boolean on) { this.multicore = on; return this; }

    /** Exit code 0 and failedRank -1 on success; otherwise the first failing rank and why. */
    public record Result(int exitCode, int failedRank, String message, int[] rankExitCodes) {
        public boolean ok() { return exitCode == 0; }
    }

    /** The classpath rank JVMs get: this JVM's (surefire's real one in tests) plus MPJ and log4j. */
    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        StringBuilder sb = new StringBuilder(cp);
        for (Path j : MpjHome.rankJars()) sb.append(java.io.File.pathSeparator).append(j);
        return sb.toString();
    }

    public Result launch() throws IOException, InterruptedException {
        if (multicore) return launchMulticore();
        Path home = MpjHome.ensure();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = classpath();
        try (NioRendezvous rv = new NioRendezvous(bind, 0, ranks); Supervisor sup = new Supervisor(bind, 0, ranks, 120)) {
            String host = bind.getHostAddress();
            Process[] procs = new Process[ranks];
            Thread[] pumps = new Thread[ranks];
            for (int r = 0; r < ranks; r++) {
                Map<String, String> env = new LinkedHashMap<>();
                env.put("LWM_RANK", Integer.toString(r));
                env.put("LWM_SIZE", Integer.toString(ranks));
                env.put("LWM_RENDEZVOUS", host + ":" + rv.port());
                env.put("LWM_CONTROL", host + ":" + sup.port());
                env.put("MPJ_HOME", home.toString());
                List<String> cmd = new ArrayList<>(prefix.apply(r));
                boolean remote = !cmd.isEmpty();
                if (remote) {
                    cmd.add("env");
                    env.forEach((k, v) -> cmd.add(k + "=" + v));
                }
                cmd.add(javaBin);
                cmd.addAll(JvmFlags.flags());
                cmd.add(heap);
                sysProps.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
                cmd.add("-cp");
                cmd.add(cp);
                cmd.add(RankMain.class.getName());
                cmd.add(task);
                cmd.addAll(args);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(err == null);
                if (!remote) pb.environment().putAll(env);
                procs[r] = pb.start();
                int rank = r;
                pumps[r] = Thread.ofPlatform().daemon().name("rank-" + r + "-output")
                        .start(() -> pump(procs[rank].getInputStream(), out, rank == rawRank ? "" : "[rank " + rank + "] "));
                if (err != null)
                    Thread.ofPlatform().daemon().name("rank-" + r + "-errors").start(() -> pump(procs[rank].getErrorStream(), err, "[rank " + rank + "] "));
            }
            int[] codes = new int[ranks];
            java.util.Arrays.fill(codes, Integer.MIN_VALUE);
            long abortSeen = -1;
            while (true) {
                boolean allExited = true;
                for (int r = 0; r < ranks; r++) {
                    if (codes[r] == Integer.MIN_VALUE && !procs[r].isAlive()) {
                        codes[r] = procs[r].exitValue();
                        if (codes[r] != 0 && sup.failure() == null) sup.abort(r, "rank " + r + " exited with code " + codes[r]);
                    }
                    if (codes[r] == Integer.MIN_VALUE) allExited = false;
                }
                if (allExited) break;
                if (sup.failure() != null) {
                    if (abortSeen < 0) abortSeen = System.nanoTime();
                    else if (System.nanoTime() - abortSeen > TimeUnit.SECONDS.toNanos(graceSeconds)) {
                        for (int r = 0; r < ranks; r++)
                            if (procs[r].isAlive()) {
                                (err != null ? err : out).println("[launcher] rank " + r + " ignored the abort; killing it");
                                procs[r].descendants().forEach(ProcessHandle::destroyForcibly);
                                procs[r].destroyForcibly();
                            }
                        for (Process p : procs) p.waitFor(10, TimeUnit.SECONDS);
                    }
                }
                Thread.sleep(50);
            }
            for (Thread t : pumps) t.join(2000);
            if (rv.error() != null) (err != null ? err : out).println("[launcher] niodev rendezvous failed: " + rv.error());
            if (sup.failure() != null) {
                (err != null ? err : out).println("[launcher] rank " + sup.failedRank() + " failed: " + sup.failure());
                return new Result(1, sup.failedRank(), sup.failure(), codes);
            }
            for (int r = 0; r < ranks; r++)
                if (codes[r] != 0) return new Result(1, r, "rank " + r + " exited with code " + codes[r], codes);
            return new Result(0, -1, "all " + ranks + " ranks finished", codes);
        }
    }

    private Result launchMulticore() throws IOException, InterruptedException {
        Path home = MpjHome.ensure();
        Path lib = home.resolve("lib");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the starter's own classpath must not hold MPJ or lwm classes (ranks would share statics and hang);
        // the ranks' class loaders get ours, with directories ending in '/' (URLClassLoader needs it)
        StringBuilder starter = new StringBuilder();
        for (String j : List.of("smpdev", "xdev", "mpjbuf", "loader2", "starter", "mpiExp", "runtimecommon"))
            starter.append(starter.isEmpty() ? "" : java.io.File.pathSeparator).append(lib.resolve(j + ".jar"));
        StringBuilder ranksCp = new StringBuilder();
        for (String e : classpath().split(java.io.File.pathSeparator)) {
            if (e.isBlank() || e.endsWith("mpj-0.44.jar")) continue;
            Path p = Path.of(e).toAbsolutePath();
            ranksCp.append(ranksCp.isEmpty() ? "" : ":").append(p).append(java.nio.file.Files.isDirectory(p) ? "/" : "");
        }
        List<String> cmd = new ArrayList<>(List.of(javaBin));
        cmd.addAll(JvmFlags.flags());
        cmd.add(heap);
        sysProps.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", starter.toString(), "runtime.starter.MulticoreStarter", System.getProperty("java.io.tmpdir"),
                Integer.toString(ranks), "smpdev", "useLocalLoader", ranksCp.toString(), RankMain.class.getName(), task));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MPJ_HOME", home.toString());
        Process proc = pb.start();
        StringBuilder seen = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (out) { out.println("[multicore] " + line); }
                if (line.contains(" failed: ") && seen.isEmpty()) seen.append(line);
            }
        }
        int code = proc.waitFor();
        int[] codes = new int[ranks];
        java.util.Arrays.fill(codes, code);
        if (code == 0 && seen.isEmpty()) return new Result(0, -1, "all " + ranks + " ranks finished", codes);
        String msg = seen.isEmpty() ? "the multicore JVM exited with code " + code : seen.toString().trim();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("no progress from rank (\\d+)").matcher(msg);
        java.util.regex.Matcher f = java.util.regex.Pattern.compile("rank (\\d+) failed").matcher(msg);
        int failed = m.find() ? Integer.parseInt(m.group(1)) : f.find() ? Integer.parseInt(f.group(1)) : -1;
        out.println("[launcher] " + msg);
        return new Result(code == 0 ? 1 : code, failed, msg, codes);
    }

    private static void pump(java.io.InputStream stream, PrintStream to, String prefix) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (to) { to.println(prefix + line); }
            }
        } catch (IOException ignored) {
        }
    }

    /**
     * {@code java lwm.ring.RankLauncher --ranks N [--bind ADDR] [--prefix 2-3=ssh hostB] TaskClass [args...]}: exit code 0 when
     * every rank succeeded, else 1 with the failing rank named.
     */
    public static void main(String[] argv) throws Exception {
        int n = -1, i = 0;
        InetAddress bind = InetAddress.getLoopbackAddress();
        boolean multicore = false;
        Map<Integer, List<String>> prefixes = new LinkedHashMap<>();
        for (; i < argv.length && argv[i].startsWith("--"); i++) {
            switch (argv[i]) {
                case "--ranks" -> n = Integer.parseInt(argv[++i]);
                case "--bind" -> bind = InetAddress.getByName(argv[++i]);
                case "--multicore" -> multicore = true;
                case "--prefix" -> {   // R=command words, e.g. 2=ip netns exec hostB  or  3=ssh node7
                    String spec = argv[++i];
                    int eq = spec.indexOf('=');
                    List<String> words = List.of(spec.substring(eq + 1).trim().split("\\s+"));
                    for (String part : spec.substring(0, eq).split(",")) {
                        String[] ab = part.split("-");
                        for (int r = Integer.parseInt(ab[0]); r <= Integer.parseInt(ab[ab.length - 1]); r++) prefixes.put(r, words);
                    }
                }
                default -> { System.err.println("lwm ring: unknown option " + argv[i]); System.exit(2); }
            }
        }
        if (n < 1 || i >= argv.length) {
            System.err.println("usage: RankLauncher --ranks N [--multicore | --bind ADDR [--prefix RANKS=COMMAND]...] TaskClass [args...]");
            System.exit(2);
        }
        Result r = new RankLauncher(n, argv[i]).bind(bind).multicore(multicore).prefix(rank -> prefixes.getOrDefault(rank, List.of())).args(java.util.Arrays.copyOfRange(argv, i + 1, argv.length)).launch();
        System.out.println("lwm ring: " + r.message());
        System.exit(r.exitCode());
    }
}
