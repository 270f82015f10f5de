package lwm.ring;

import lwm.kernels.Kernels;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.GradientSync;
import lwm.model.parallel.TokenPartition;

/**
 * The world cut into data-parallel replicas of sequence-parallel groups: world rank w belongs to
 * replica w / sp and is sequence rank w % sp inside it (sequence groups are consecutive ranks, so on a
 * multi-host job they stay on one host when sp divides the ranks per host). Sequence groups share one
 * row's tokens through the attention op; gradients are summed over the whole world (SP x DP).
 *
 * @param ulysses Ulysses degree inside each sequence group (1 = pure ring; sp = pure Ulysses)
 */
public record ParallelGroups(Communicator world, Communicator sequence, int replica, int replicas, int ulysses,
                             SequenceLayout.Kind layoutKind, AttentionOp attention, GradientSync gradients, TokenPartition partition) {

    /** Collective over the world. */
    public static ParallelGroups create(Communicator world, int sp, int ulysses, SequenceLayout.Kind kind, Kernels kernels) {
        if (sp < 1 || world.size() % sp != 0)
            throw new IllegalArgumentException("sequence-parallel degree " + sp + " does not divide " + world.size() + " ranks");
        if (ulysses < 1 || sp % ulysses != 0)
            throw new IllegalArgumentException("Ulysses degree " + ulysses + " does not divide the sequence-parallel degree " + sp);
        int replica = world.rank() / sp;
        Communicator seq = world.split(replica, world.rank());
        int u = seq.rank() % ulysses, r = seq.rank() / ulysses, ring = sp / ulysses;
        AttentionOp op;
        if (ulysses == 1) op = new RingAttention(seq, kernels);
        else if (ulysses == sp) op = new UlyssesAttention(seq, kernels);
        else op = UlyssesAttention.hybrid(seq, ulysses, kernels);
        TokenPartition part = SequenceLayout.twoD(kind, u, ulysses, r, ring);
        return new ParallelGroups(world, seq, replica, world.size() / sp, ulysses, kind, op, new MpjGradientSync(world), part);
    }
}
