package lwm.ring;

import mpi.MPI;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Entry point of one rank JVM: {@code java ... lwm.ring.RankMain TaskClass args...}. Reads its rank
 * from {@code LWM_RANK}/{@code LWM_SIZE} (set by {@link RankLauncher}) or from Open MPI's
 * {@code OMPI_COMM_WORLD_RANK}/{@code _SIZE} (mpirun), joins the supervisor and the niodev rendezvous,
 * initialises MPJ Express and runs the {@link RankTask}.
 *
 * <p>Exit codes: 0 success; 1 this rank failed (its exception is printed and reported); 3 another rank
 * failed (the message names it); 4 the supervisor vanished. Always {@code Runtime.halt}, because
 * niodev's non-daemon threads would otherwise keep a failed JVM alive forever.
 *
 * <p>Under mpirun set {@code LWM_RENDEZVOUS=host:port} (host = rank 0's address): rank 0 then serves
 * the rendezvous on that port and the supervisor on port+1.
 */
public final class RankMain {
    private static final long VERDICT_WAIT_MS = 20_000;

    private RankMain() {}

    public static void main(String[] args) {
        int rank = envInt("LWM_RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK");
        int size = envInt("LWM_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE");
        if (rank < 0 && args.length >= 3 && args[0].matches("\\d+")) {
            underMpjrun(args);
            return;
        }
        if (args.length < 1 || rank < 0 || size < 1) {
            System.err.println("usage: LWM_RANK=r LWM_SIZE=n LWM_RENDEZVOUS=host:port java lwm.ring.RankMain TaskClass [args...]");
            Runtime.getRuntime().halt(2);
        }
        String rv = System.getenv("LWM_RENDEZVOUS");
        if (rv == null || !rv.contains(":")) die(rank, 2, "LWM_RENDEZVOUS=host:port is not set");
        String host = rv.substring(0, rv.lastIndexOf(':'));
        int port = Integer.parseInt(rv.substring(rv.lastIndexOf(':') + 1));
        String control = System.getenv("LWM_CONTROL");
        try {
            if (control == null) {   // mpirun: rank 0 hosts both servers
                control = host + ":" + (port + 1);
                if (rank == 0) {
                    InetAddress any = InetAddress.getByName("0.0.0.0");
                    new NioRendezvous(any, port, size);
                    new Supervisor(any, port + 1, size, 120);
                }
            }
        } catch (IOException e) {
            die(rank, 1, "cannot serve the rendezvous on port " + port + ": " + e.getMessage());
        }
        Link link = Link.connect(rank, control);
        // supervised: deaths and exceptions are caught within seconds by the supervisor, so the per-wait
        // deadline only has to catch deadlocks and may be long (rank 0 writing a checkpoint while the
        // others wait must not count as a failure)
        if (System.getProperty("lwm.ring.timeout") == null && System.getenv("LWM_RING_TIMEOUT") == null)
            System.setProperty("lwm.ring.timeout", "600");
        try {
            MPI.Init(new String[]{Integer.toString(rank), NioRendezvous.confLine(size, host, port), "niodev"});
            Communicator world = Communicator.world(new MpjTransport());
            RankTask task = (RankTask) Class.forName(args[0]).getDeclaredConstructor().newInstance();
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            task.run(world, rest);
            // nobody leaves while a peer still needs it; a rank that finished early (a generate follower
            // while rank 0 prints) may wait here as long as it takes: the supervisor watches for deaths
            System.setProperty("lwm.ring.timeout", "inf");
            world.barrier();
            link.done();
            System.out.flush();
            System.err.flush();
            // Finalize lets niodev drain its sockets; a guard halts anyway if it stalls
            Thread.ofPlatform().daemon().start(() -> {
                try { Thread.sleep(10_000); } catch (InterruptedException ignored) {}
                Runtime.getRuntime().halt(0);
            });
            try { MPI.Finalize(); } catch (Throwable ignored) {}
            Runtime.getRuntime().halt(0);
        } catch (PeerTimeoutException t) {
            // our wait timed out: tell the supervisor whom we waited for and let it find the root
            System.err.println("rank " + rank + ": " + t.getMessage());
            link.stuck(t.failedRank(), "rank " + rank + ": " + t.getMessage());
            try { Thread.sleep(VERDICT_WAIT_MS); } catch (InterruptedException ignored) {}
            die(rank, 1, "no verdict from the supervisor; stopping");
        } catch (Throwable t) {
            int blamed = t instanceof RankFailedException rf ? rf.failedRank() : rank;
            System.err.println("rank " + rank + " failed: " + t);
            t.printStackTrace();
            link.fail(blamed, (blamed == rank ? "rank " + rank + " failed: " : "rank " + rank + ": ") + t);
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    /**
     * Started by MPJ Express's own launcher ({@code mpjrun.sh} / starter.jar, multicore or niodev with
     * mpjdaemon): MPJ passes {@code rank conf device} before our arguments and did the rendezvous
     * itself. No supervisor here; the {@link Deadline} still bounds every wait, and a failed rank halts
     * with exit code 1 (under multicore all ranks share one JVM, which then ends as a whole).
     */
    private static void underMpjrun(String[] args) {
        boolean multicore = args[2].equals("smpdev");
        int rank = Integer.parseInt(args[0]);
        try {
            String[] rest = MPI.Init(args);
            Communicator world = Communicator.world(new MpjTransport());
            rank = world.rank();
            RankTask task = (RankTask) Class.forName(rest[0]).getDeclaredConstructor().newInstance();
            task.run(world, java.util.Arrays.copyOfRange(rest, 1, rest.length));
            world.barrier();
            MPI.Finalize();
            if (!multicore) Runtime.getRuntime().halt(0);   // niodev threads would keep the JVM alive
        } catch (Throwable t) {
            System.err.println("rank " + rank + " failed: " + t);
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static int envInt(String... names) {
        for (String n : names) {
            String v = System.getenv(n);
            if (v != null && !v.isBlank()) return Integer.parseInt(v.trim());
        }
        return -1;
    }

    static void die(int rank, int code, String msg) {
        System.err.println("rank " + rank + ": " + msg);
        System.err.flush();
        System.out.flush();
        Runtime.getRuntime().halt(code);
    }

    /** This rank's side of the {@link Supervisor} connection: heartbeats out, ABORT in. */
    static final class Link {
        private final PrintWriter out;
        private final int rank;
        private volatile boolean finished;

        private Link(Socket s, int rank) throws IOException {
            this.rank = rank;
            this.out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
            out.println("HELLO " + rank);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            Thread.ofPlatform().daemon().name("lwm-heartbeat").start(() -> {
                while (true) {
                    synchronized (out) { out.println("PING"); }
                    try { Thread.sleep(1000); } catch (InterruptedException e) { return; }
                }
            });
            Thread.ofPlatform().daemon().name("lwm-abort-listener").start(() -> {
                try {
                    for (String line; (line = in.readLine()) != null; )
                        if (line.startsWith("ABORT ")) {
                            String[] f = line.substring(6).split(" ", 2);
                            die(rank, 3, "stopping because rank " + f[0] + " failed: " + (f.length > 1 ? f[1] : ""));
                        }
                } catch (IOException ignored) {
                }
                if (!finished) die(rank, 4, "lost the supervisor (launcher or rank 0 gone); stopping");
            });
        }

        static Link connect(int rank, String hostPort) {
            String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
            int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (true) {
                try {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(host, port), 2000);
                    s.setTcpNoDelay(true);
                    return new Link(s, rank);
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) die(rank, 1, "cannot reach the supervisor at " + hostPort + ": " + e.getMessage());
                    try { Thread.sleep(200); } catch (InterruptedException ie) { die(rank, 1, "interrupted"); }
                }
            }
        }

        void done() {
            finished = true;
            synchronized (out) { out.println("DONE"); out.flush(); }
        }

        void stuck(int peer, String msg) {
            synchronized (out) { out.println("STUCK " + peer + " " + msg.replace('\n', ' ')); out.flush(); }
        }

        void fail(int blamed, String msg) {
            finished = true;
            synchronized (out) { out.println("FAIL " + blamed + " " + msg.replace('\n', ' ')); out.flush(); }
        }
    }
}
