package lwm.ring;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Failure detection that MPJ Express lacks. Every rank keeps one TCP connection to the supervisor
 * (in the launcher, or in rank 0 under mpirun) and sends a heartbeat every second. A rank that
 * reports an exception, whose connection drops before it said DONE (killed, crashed, exited), or that
 * misses heartbeats for {@link #HEARTBEAT_TIMEOUT_S} seconds is declared failed, and every other rank is
 * told "ABORT rank msg": each prints which rank failed and exits non-zero. Ranks that wait on a peer
 * have their own deadline ({@link Deadline}) as a second line of defence.
 *
 * <p>Protocol, one line each: rank to supervisor {@code HELLO r}, {@code PING}, {@code FAIL blamedRank msg}, {@code STUCK peer msg},
 * {@code DONE}; supervisor to rank {@code ABORT r msg}.
 */
final class Supervisor implements Closeable {
    static final int HEARTBEAT_TIMEOUT_S = 20;
    /** Seconds to collect the timeouts of a cascade before naming the rank at its end. */
    static final int BLAME_GRACE_S = 3;

    private final ServerSocket server;
    private final int size;
    private final PrintWriter[] outs;
    private final long[] lastSeen;
    private final boolean[] done, connected;
    private final long started = System.nanoTime();
    private final long connectTimeoutNanos;
    private final int[] blames;           // rank -> the peer it timed out on, -1 if none
    private final String[] blameMessages;
    private long firstBlame = -1;
    private volatile int failedRank = -1;
    private volatile String failure;

    Supervisor(InetAddress bind, int port, int size, long connectTimeoutSeconds) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(bind, port), 64);
        this.size = size;
        this.outs = new PrintWriter[size];
        this.lastSeen = new long[size];
        this.done = new boolean[size];
        this.connected = new boolean[size];
        this.blames = new int[size];
        java.util.Arrays.fill(blames, -1);
        this.blameMessages = new String[size];
        this.connectTimeoutNanos = TimeUnit.SECONDS.toNanos(connectTimeoutSeconds);
        Thread.ofPlatform().daemon().name("supervisor-accept").start(this::accept);
        Thread.ofPlatform().daemon().name("supervisor-watchdog").start(this::watch);
    }

    int port() { return server.getLocalPort(); }

    int failedRank() { return failedRank; }

    String failure() { return failure; }

    synchronized boolean allDone() {
        for (boolean d : done) if (!d) return false;
        return true;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().name("supervisor-conn").start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        int rank = -1;
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            String hello = in.readLine();
            if (hello == null || !hello.startsWith("HELLO ")) return;
            rank = Integer.parseInt(hello.substring(6).trim());
            synchronized (this) {
                outs[rank] = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
                connected[rank] = true;
                lastSeen[rank] = System.nanoTime();
                if (failure != null) outs[rank].println("ABORT " + failedRank + " " + failure);
            }
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (this) { lastSeen[rank] = System.nanoTime(); }
                if (line.startsWith("FAIL ")) {   // FAIL <blamed rank> <message>: a timed-out rank blames its silent peer
                    String[] f = line.substring(5).split(" ", 2);
                    abort(Integer.parseInt(f[0]), f.length > 1 ? f[1] : "failed");
                }
                else if (line.startsWith("STUCK ")) {   // STUCK <peer> <message>: verdict after the grace period
                    String[] f = line.substring(6).split(" ", 2);
                    synchronized (this) {
                        blames[rank] = Integer.parseInt(f[0]);
                        blameMessages[rank] = f.length > 1 ? f[1] : "timed out";
                        if (firstBlame < 0) firstBlame = System.nanoTime();
                    }
                }
                else if (line.equals("DONE")) synchronized (this) { done[rank] = true; }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: a dropped connection is judged below
        }
        if (rank >= 0) {
            boolean finished;
            synchronized (this) { finished = done[rank] || blames[rank] >= 0; }
            if (!finished) abort(rank, "rank " + rank + " died or lost its connection before finishing");
        }
    }

    private void watch() {
        while (!server.isClosed()) {
            try { Thread.sleep(500); } catch (InterruptedException e) { return; }
            long now = System.nanoTime();
            synchronized (this) {
                if (failure == null && firstBlame >= 0 && now - firstBlame > TimeUnit.SECONDS.toNanos(BLAME_GRACE_S)) judgeBlames();
                for (int r = 0; r < size; r++) {
                    if (!connected[r] && now - started > connectTimeoutNanos && failure == null)
                        abortLocked(r, "rank " + r + " did not start within " + TimeUnit.NANOSECONDS.toSeconds(connectTimeoutNanos) + " s");
                    if (connected[r] && !done[r] && now - lastSeen[r] > TimeUnit.SECONDS.toNanos(HEARTBEAT_TIMEOUT_S) && failure == null)
                        abortLocked(r, "rank " + r + " sent no heartbeat for " + HEARTBEAT_TIMEOUT_S + " s (hung or frozen)");
                }
            }
        }
    }

    /**
     * When one rank hangs, its neighbours time out on it, their neighbours on them, and so on. The
     * culprit is the end of the chain: a rank others blame that blames nobody itself (else the most
     * blamed rank, for a cycle).
     */
    private void judgeBlames() {
        int[] votes = new int[size];
        for (int b : blames) if (b >= 0) votes[b]++;
        int pick = -1;
        for (int r = 0; r < size; r++) if (votes[r] > 0 && blames[r] < 0 && (pick < 0 || votes[r] > votes[pick])) pick = r;
        if (pick < 0) for (int r = 0; r < size; r++) if (votes[r] > 0 && (pick < 0 || votes[r] > votes[pick])) pick = r;
        String why = null;
        for (int r = 0; r < size && why == null; r++) if (blames[r] == pick) why = "rank " + r + ": " + blameMessages[r];
        abortLocked(pick, "rank " + pick + " stopped answering (" + why + ")");
    }

    /** Declares {@code rank} failed (first failure wins) and tells every rank to stop. */
    synchronized void abort(int rank, String message) { abortLocked(rank, message); }

    private void abortLocked(int rank, String message) {
        if (failure != null) return;
        failedRank = rank;
        failure = message.replace('\n', ' ');
        for (int r = 0; r < size; r++)
            if (outs[r] != null && !done[r]) outs[r].println("ABORT " + rank + " " + failure);
    }

    @Override public void close() throws IOException { server.close(); }
}
