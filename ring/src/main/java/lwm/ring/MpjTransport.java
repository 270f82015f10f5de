package lwm.ring;

import mpi.Datatype;
import mpi.MPI;

/**
 * {@link Transport} over MPJ Express's COMM_WORLD (niodev: TCP between rank JVMs). MPJ waits have no
 * timeouts, so completion is polled with {@code Request.Test} under the {@link Deadline}. MPJ is not
 * thread-safe: only the rank's main thread may use it (niodev's own threads move the bytes, which is
 * what overlaps transfers with the attention compute).
 */
final class MpjTransport implements Transport {
    private final int rank, size;

    MpjTransport() {
        try {
            rank = MPI.COMM_WORLD.Rank();
            size = MPI.COMM_WORLD.Size();
        } catch (Exception e) {
            throw new IllegalStateException("MPJ Express is not initialised: " + e, e);
        }
    }

    @Override public int worldRank() { return rank; }

    @Override public int worldSize() { return size; }

    private static Datatype type(Object buf) {
        if (buf instanceof float[]) return MPI.FLOAT;
        if (buf instanceof int[]) return MPI.INT;
        if (buf instanceof double[]) return MPI.DOUBLE;
        throw new IllegalArgumentException("unsupported buffer " + buf.getClass().getSimpleName());
    }

    @Override public Request isend(Object buf, int off, int len, int dest, int tag) {
        try {
            return new MpjRequest(MPI.COMM_WORLD.Isend(buf, off, len, type(buf), dest, tag), dest, "send to rank " + dest + " tag " + tag, rank);
        } catch (Exception e) {
            throw new RankFailedException(dest, "rank " + rank + ": send to rank " + dest + " failed: " + e, e);
        }
    }

    @Override public Request irecv(Object buf, int off, int len, int src, int tag) {
        try {
            return new MpjRequest(MPI.COMM_WORLD.Irecv(buf, off, len, type(buf), src, tag), src, "receive from rank " + src + " tag " + tag, rank);
        } catch (Exception e) {
            throw new RankFailedException(src, "rank " + rank + ": receive from rank " + src + " failed: " + e, e);
        }
    }

    private static final class MpjRequest implements Request {
        private final mpi.Request req;
        private final int peer, me;
        private final String what;
        private boolean done;

        MpjRequest(mpi.Request req, int peer, String what, int me) {
            this.req = req;
            this.peer = peer;
            this.what = what;
            this.me = me;
        }

        @Override public boolean test() {
            if (done) return true;
            try {
                done = req.Test() != null;
            } catch (Exception e) {
                throw new RankFailedException(peer, "rank " + me + ": " + what + " failed: " + e, e);
            }
            return done;
        }

        @Override public void await() {
            Deadline.poll(this::test, Deadline.timeoutNanos(), peer, "a " + what + " on rank " + me);
        }
    }
}
