package lwm.ring;

/**
 * Point-to-point messages between the processes of one job, addressed by world rank and a raw tag.
 * Buffers are {@code float[]}, {@code int[]} or {@code double[]}. Messages between one pair with one
 * tag arrive in the order they were sent (MPI's non-overtaking rule); receives match in post order.
 * {@link Communicator} builds groups and collectives on top, so an implementation is only this.
 */
public interface Transport {
    int worldRank();

    int worldSize();

    Request isend(Object buf, int off, int len, int dest, int tag);

    Request irecv(Object buf, int off, int len, int src, int tag);
}
