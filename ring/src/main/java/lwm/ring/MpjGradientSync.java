package lwm.ring;

import lwm.model.parallel.GradientSync;

/**
 * {@link GradientSync} over a {@link Communicator}: the trainer's gradient and loss-statistic sums
 * across every rank that shares the weights (sequence-parallel x data-parallel: pass the world, or
 * the group that holds one model replica's tokens). Over MPJ ranks the name says it all; over a
 * {@link LocalWorld} the same code runs in threads. Ring all-reduce, so every rank ends with
 * bit-identical gradients and the replicas never drift apart.
 */
public final class MpjGradientSync implements GradientSync {
    private final Communicator comm;

    public MpjGradientSync(Communicator comm) { this.comm = comm; }

    @Override public int rank() { return comm.rank(); }

    @Override public int size() { return comm.size(); }

    @Override public void allReduceSum(float[] data, int off, int len) { comm.allReduceSum(data, off, len); }

    @Override public double allReduceSum(double v) { return comm.allReduceSum(v); }
}
