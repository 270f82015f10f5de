package lwm.ring;

import lwm.model.parallel.AttentionOp;

/**
 * Runs in every MPJ rank: each rank builds the same random case (same seed) and its single-rank
 * reference, computes its shard with ring, Ulysses or 2D attention over the real MPJ world and checks
 * the gathered results; then checks an all-reduce. Args: seed S mode(ring|ulysses|hybrid) layout causal packed.
 */
public final class MpjAttentionCheck implements RankTask {
    @Override
    public void run(Communicator world, String[] a) {
        long seed = Long.parseLong(a[0]);
        int s = Integer.parseInt(a[1]);
        String mode = a[2];
        SequenceLayout.Kind kind = SequenceLayout.Kind.parse(a[3]);
        boolean causal = Boolean.parseBoolean(a[4]), packed = Boolean.parseBoolean(a[5]);
        int p = world.size(), r = world.rank();
        AttentionCase c = new AttentionCase(seed, s, 4, 2, 8, causal, packed);
        AttentionOp op;
        SequenceLayout layout;
        switch (mode) {
            case "ring" -> { op = new RingAttention(world, AttentionCase.SCALAR); layout = SequenceLayout.of(kind, r, p); }
            case "ulysses" -> { op = new UlyssesAttention(world, AttentionCase.SCALAR); layout = SequenceLayout.of(kind, r, p); }
            case "hybrid" -> {
                op = UlyssesAttention.hybrid(world, 2, AttentionCase.SCALAR);
                layout = SequenceLayout.twoD(kind, r % 2, 2, r / 2, p / 2);
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
        int[] idx = c.tokens(layout);
        c.runShard(op, idx);
        // every rank checks the rows it owns; the rest of the global arrays stay NaN on this rank
        double worst = 0;
        int hd = c.heads * c.dim, kd = c.kvHeads * c.dim;
        worst = Math.max(worst, rowsErr(c.gOut, c.out, idx, hd));
        worst = Math.max(worst, rowsErr(c.gDq, c.dq, idx, hd));
        worst = Math.max(worst, rowsErr(c.gDk, c.dk, idx, kd));
        worst = Math.max(worst, rowsErr(c.gDv, c.dv, idx, kd));
        double all = world.allReduceMax(worst);
        if (!(all <= 1e-5)) throw new AssertionError(mode + " " + kind + ": relative error " + all + " on some rank (mine " + worst + ")");
        float[] g = new float[1001];
        for (int i = 0; i < g.length; i++) g[i] = r + i;
        world.allReduceSum(g, 0, g.length);
        for (int i = 0; i < g.length; i++)
            if (g[i] != p * (p - 1) / 2f + p * (float) i) throw new AssertionError("allreduce element " + i + " = " + g[i]);
        System.out.println("rank " + r + " ok " + mode + " " + kind + " err " + all);
    }

    private static double rowsErr(float[] got, float[] ref, int[] idx, int w) {
        float[] g = SequenceLayout.take(got, idx, w), f = SequenceLayout.take(ref, idx, w);
        double scale = 0;
        for (float x : ref) scale = Math.max(scale, Math.abs(x));
        double err = 0;
        for (int i = 0; i < g.length; i++) err = Math.max(err, Float.isNaN(g[i]) ? Double.POSITIVE_INFINITY : Math.abs(g[i] - f[i]));
        return err / scale;
    }
}
