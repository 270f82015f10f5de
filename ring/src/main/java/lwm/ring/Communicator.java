package lwm.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A group of ranks over a {@link Transport}: non-blocking point-to-point messages, the collectives
 * the parallel attention and the training loop need, and {@link #split} into sub-groups (Ulysses
 * groups, ring groups, data-parallel groups). Collectives are built here from point-to-point
 * messages rather than taken from MPJ, because MPJ's block forever when a peer dies; here every wait
 * has a deadline ({@link Deadline}). Every rank of a group must call the same collectives in the same
 * order. Each group has its own tag space, so concurrent groups never see each other's messages.
 */
public final class Communicator {
    /** User tags are below this; collectives use the tags above it. */
    public static final int MAX_USER_TAG = 1 << 12;
    private static final int TAG_BITS = 13;
    private static final int T_GATHER = MAX_USER_TAG, T_REDUCE = MAX_USER_TAG + 1, T_A2A = MAX_USER_TAG + 2;

    private final Transport transport;
    private final int[] members;   // world ranks, index = rank in this group
    private final int rank;
    private final int context;
    private int splits;

    private Communicator(Transport transport, int[] members, int rank, int context) {
        if (context >= 1 << (31 - TAG_BITS)) throw new IllegalStateException("communicators nested too deeply");
        this.transport = transport;
        this.members = members;
        this.rank = rank;
        this.context = context;
    }

    /** All ranks of the transport, rank = world rank. */
    public static Communicator world(Transport t) {
        int[] m = new int[t.worldSize()];
        for (int i = 0; i < m.length; i++) m[i] = i;
        return new Communicator(t, m, t.worldRank(), 0);
    }

    public int rank() { return rank; }

    public int size() { return members.length; }

    /** World rank of group rank {@code r}: what error messages name. */
    public int worldRank(int r) { return members[r]; }

    private int raw(int tag) { return (context << TAG_BITS) | tag; }

    public Request isend(Object buf, int off, int len, int dest, int tag) {
        checkTag(tag);
        return transport.isend(buf, off, len, members[dest], raw(tag));
    }

    public Request irecv(Object buf, int off, int len, int src, int tag) {
        checkTag(tag);
        return transport.irecv(buf, off, len, members[src], raw(tag));
    }

    private static void checkTag(int tag) {
        if (tag < 0 || tag >= MAX_USER_TAG) throw new IllegalArgumentException("tag " + tag + " outside [0, " + MAX_USER_TAG + ")");
    }

    private Request sendRaw(Object buf, int off, int len, int dest, int tag) {
        return transport.isend(buf, off, len, members[dest], raw(tag));
    }

    private Request recvRaw(Object buf, int off, int len, int src, int tag) {
        return transport.irecv(buf, off, len, members[src], raw(tag));
    }

    // ---------------------------------------------------------------- collectives

    /** Every rank's {@code mine} (same length on all ranks) concatenated in rank order. */
    public int[] allGather(int[] mine) {
        int n = mine.length, p = size();
        int[] all = new int[n * p];
        exchange(mine, all, n, T_GATHER);
        return all;
    }

    public double[] allGather(double[] mine) {
        int n = mine.length, p = size();
        double[] all = new double[n * p];
        exchange(mine, all, n, T_GATHER);
        return all;
    }

    private void exchange(Object mine, Object all, int n, int tag) {
        int p = size();
        System.arraycopy(mine, 0, all, rank * n, n);
        List<Request> reqs = new ArrayList<>();
        for (int i = 1; i < p; i++) {
            int to = (rank + i) % p, from = (rank - i + p) % p;
            reqs.add(recvRaw(all, from * n, n, from, tag));
            reqs.add(sendRaw(mine, 0, n, to, tag));
        }
        for (Request r : reqs) r.await();
    }

    /** Variable-length gather to everybody: rank i contributes counts[i] ints (counts known to all). */
    public int[] allGatherV(int[] mine, int[] counts) {
        int p = size();
        int[] offs = new int[p + 1];
        for (int i = 0; i < p; i++) offs[i + 1] = offs[i] + counts[i];
        int[] all = new int[offs[p]];
        System.arraycopy(mine, 0, all, offs[rank], counts[rank]);
        List<Request> reqs = new ArrayList<>();
        for (int i = 1; i < p; i++) {
            int to = (rank + i) % p, from = (rank - i + p) % p;
            reqs.add(recvRaw(all, offs[from], counts[from], from, T_GATHER));
            reqs.add(sendRaw(mine, 0, counts[rank], to, T_GATHER));
        }
        for (Request r : reqs) r.await();
        return all;
    }

    /** Variable-length gather of floats to everybody, in rank order (counts known to all). */
    public float[] allGatherV(float[] mine, int[] counts) {
        int p = size();
        int[] offs = new int[p + 1];
        for (int i = 0; i < p; i++) offs[i + 1] = offs[i] + counts[i];
        float[] all = new float[offs[p]];
        System.arraycopy(mine, 0, all, offs[rank], counts[rank]);
        List<Request> reqs = new ArrayList<>();
        for (int i = 1; i < p; i++) {
            int to = (rank + i) % p, from = (rank - i + p) % p;
            reqs.add(recvRaw(all, offs[from], counts[from], from, T_GATHER));
            reqs.add(sendRaw(mine, 0, counts[rank], to, T_GATHER));
        }
        for (Request r : reqs) r.await();
        return all;
    }

    public void barrier() { allGather(new int[]{rank}); }

    /** Sum over ranks, summed in rank order so every rank gets bit-identical results. */
    public double allReduceSum(double v) {
        double s = 0;
        for (double x : allGather(new double[]{v})) s += x;
        return s;
    }

    public double allReduceMax(double v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : allGather(new double[]{v})) m = Math.max(m, x);
        return m;
    }

    /**
     * In place: data[off, off+len) becomes the sum over ranks. Ring reduce-scatter then ring
     * all-gather (bandwidth-optimal: each rank sends 2(P-1)/P of the data); each slice is summed by
     * one rank in a fixed order and then copied, so all ranks end bit-identical and runs repeat exactly.
     */
    public void allReduceSum(float[] data, int off, int len) {
        int p = size();
        if (p == 1 || len == 0) return;
        int[] start = new int[p + 1];
        for (int i = 0; i <= p; i++) start[i] = (int) ((long) len * i / p);
        int maxChunk = 0;
        for (int i = 0; i < p; i++) maxChunk = Math.max(maxChunk, start[i + 1] - start[i]);
        float[] tmp = new float[maxChunk];
        int right = (rank + 1) % p, left = (rank - 1 + p) % p;
        for (int s = 0; s < p - 1; s++) {
            int sendC = Math.floorMod(rank - s, p), recvC = Math.floorMod(rank - s - 1, p);
            Request r = recvRaw(tmp, 0, start[recvC + 1] - start[recvC], left, T_REDUCE);
            Request w = sendRaw(data, off + start[sendC], start[sendC + 1] - start[sendC], right, T_REDUCE);
            r.await();
            for (int i = start[recvC], j = 0; i < start[recvC + 1]; i++, j++) data[off + i] += tmp[j];
            w.await();
        }
        // rank r now owns the full sum of chunk (r + 1) mod p
        for (int s = 0; s < p - 1; s++) {
            int sendC = Math.floorMod(rank + 1 - s, p), recvC = Math.floorMod(rank - s, p);
            Request r = recvRaw(data, off + start[recvC], start[recvC + 1] - start[recvC], left, T_REDUCE);
            Request w = sendRaw(data, off + start[sendC], start[sendC + 1] - start[sendC], right, T_REDUCE);
            r.await();
            w.await();
        }
    }

    /**
     * All-to-all with per-peer counts: send[sendOff[i], +sendCount[i]) goes to rank i, and rank i's
     * piece for me lands at recv[recvOff[i], +recvCount[i]).
     */
    public void allToAllV(float[] send, int[] sendCount, int[] sendOff, float[] recv, int[] recvCount, int[] recvOff) {
        int p = size();
        System.arraycopy(send, sendOff[rank], recv, recvOff[rank], sendCount[rank]);
        List<Request> reqs = new ArrayList<>();
        for (int i = 1; i < p; i++) {
            int to = (rank + i) % p, from = (rank - i + p) % p;
            reqs.add(recvRaw(recv, recvOff[from], recvCount[from], from, T_A2A));
            reqs.add(sendRaw(send, sendOff[to], sendCount[to], to, T_A2A));
        }
        for (Request r : reqs) r.await();
    }

    /**
     * Collective over this group: ranks with equal {@code color} form a new group, ordered by
     * {@code key} then by current rank (MPI_Comm_split). Groups from one split share a tag space,
     * which is safe because their members are disjoint.
     */
    public Communicator split(int color, int key) {
        int[] all = allGather(new int[]{color, key});
        int ctx = context * 16 + (++splits);
        if (splits >= 16) throw new IllegalStateException("more than 15 splits of one communicator");
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < size(); i++) if (all[2 * i] == color) mine.add(i);
        mine.sort(Comparator.<Integer>comparingInt(i -> all[2 * i + 1]).thenComparingInt(i -> i));
        int[] m = new int[mine.size()];
        int me = -1;
        for (int i = 0; i < m.length; i++) {
            m[i] = members[mine.get(i)];
            if (mine.get(i) == rank) me = i;
        }
        return new Communicator(transport, m, me, ctx);
    }

    @Override public String toString() {
        return "Communicator(rank " + rank + " of " + size() + ", world " + Arrays.toString(members) + ")";
    }
}
