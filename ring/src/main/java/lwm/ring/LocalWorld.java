package lwm.ring;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * An in-process world of ranks (one thread per rank) with MPI message semantics: sends are buffered
 * (they copy and complete at once), receives match in post order, and a failing rank aborts every
 * pending and future wait with a message that names it. Runs exactly the same {@link Communicator}
 * and attention code as the MPJ ranks, without starting JVMs, so the big test matrix stays fast.
 */
public final class LocalWorld {
    private final int size;
    private final Mailbox[] boxes;
    private volatile RankFailedException failure;

    public LocalWorld(int size) {
        this.size = size;
        this.boxes = new Mailbox[size];
        for (int i = 0; i < size; i++) boxes[i] = new Mailbox();
    }

    public int size() { return size; }

    /** The transport that rank {@code rank}'s thread uses. */
    public Transport transport(int rank) { return new LocalTransport(rank); }

    /** Marks {@code rank} failed; every rank's next or current wait throws. */
    public void abort(int rank, Throwable cause) {
        if (failure != null) return;
        // a rank that gave up waiting blames the silent peer, not itself
        if (cause instanceof RankFailedException rf)
            failure = new RankFailedException(rf.failedRank(), "rank " + rank + ": " + rf.getMessage(), rf);
        else failure = new RankFailedException(rank, "rank " + rank + " failed: " + cause, cause);
    }

    RankFailedException failure() { return failure; }

    /**
     * Runs {@code task} on {@code size} threads, one per rank, and waits for all. A rank that throws
     * aborts the others (their waits fail fast instead of hanging); the first failure is rethrown.
     */
    public static void run(int size, RankTask task) throws Exception {
        LocalWorld w = new LocalWorld(size);
        Throwable[] errors = new Throwable[size];
        Thread[] threads = new Thread[size];
        for (int r = 0; r < size; r++) {
            int rank = r;
            threads[r] = Thread.ofPlatform().name("rank-" + r).start(() -> {
                try {
                    task.run(Communicator.world(w.transport(rank)), new String[0]);
                } catch (Throwable t) {
                    errors[rank] = t;
                    w.abort(rank, t);
                }
            });
        }
        for (Thread t : threads) t.join();
        // the rank that failed first, not the ranks that were aborted because of it
        RankFailedException f = w.failure;
        if (f != null) {
            Throwable original = errors[f.failedRank()];
            if (original == null || original instanceof RankFailedException) throw f;
            if (original instanceof Exception e) throw new RankFailedException(f.failedRank(), f.getMessage(), e);
            throw new RankFailedException(f.failedRank(), f.getMessage(), original);
        }
    }

    private static long key(int src, int tag) { return ((long) src << 32) | (tag & 0xffffffffL); }

    private static final class Mailbox {
        final Map<Long, ArrayDeque<Object>> messages = new HashMap<>();
        final Map<Long, ArrayDeque<Recv>> posted = new HashMap<>();
    }

    private final class Recv implements Request {
        final Object buf; final int off, len, src, tag, me;
        volatile boolean done;
        Recv(Object buf, int off, int len, int src, int tag, int me) {
            this.buf = buf; this.off = off; this.len = len; this.src = src; this.tag = tag; this.me = me;
        }

        void fill(Object data) {
            int n = java.lang.reflect.Array.getLength(data);
            if (n > len) throw new IllegalStateException("rank " + me + ": message of " + n + " from rank " + src + " tag " + tag + " exceeds receive buffer " + len);
            System.arraycopy(data, 0, buf, off, n);
            done = true;
        }

        @Override public boolean test() {
            if (done) return true;
            if (failure != null) throw failure;
            return false;
        }

        @Override public void await() {
            Deadline.poll(this::test, Deadline.timeoutNanos(), src, "a message with tag " + tag + " on rank " + me);
        }
    }

    private static final Request DONE = new Request() {
        @Override public boolean test() { return true; }
        @Override public void await() {}
    };

    private final class LocalTransport implements Transport {
        final int rank;
        LocalTransport(int rank) { this.rank = rank; }

        @Override public int worldRank() { return rank; }
        @Override public int worldSize() { return size; }

        @Override public Request isend(Object buf, int off, int len, int dest, int tag) {
            if (failure != null) throw failure;
            Object copy = java.lang.reflect.Array.newInstance(buf.getClass().getComponentType(), len);
            System.arraycopy(buf, off, copy, 0, len);
            Mailbox box = boxes[dest];
            long k = key(rank, tag);
            synchronized (box) {
                ArrayDeque<Recv> waiting = box.posted.get(k);
                if (waiting != null && !waiting.isEmpty()) waiting.poll().fill(copy);
                else box.messages.computeIfAbsent(k, x -> new ArrayDeque<>()).add(copy);
            }
            return DONE;
        }

        @Override public Request irecv(Object buf, int off, int len, int src, int tag) {
            if (failure != null) throw failure;
            Recv r = new Recv(buf, off, len, src, tag, rank);
            Mailbox box = boxes[rank];
            long k = key(src, tag);
            synchronized (box) {
                ArrayDeque<Object> queued = box.messages.get(k);
                ArrayDeque<Recv> waiting = box.posted.get(k);
                if (queued != null && !queued.isEmpty() && (waiting == null || waiting.isEmpty())) r.fill(queued.poll());
                else box.posted.computeIfAbsent(k, x -> new ArrayDeque<>()).add(r);
            }
            return r;
        }
    }
}
