package lwm.ring;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.model.parallel.AttentionOp;
import lwm.model.parallel.LocalAttention;

/**
 * DeepSpeed-Ulysses sequence parallelism: an all-to-all turns "my tokens, all heads" into "all tokens
 * of the group, my heads", an inner attention runs on that, and a second all-to-all turns the output
 * back. With {@link LocalAttention} inside this is plain Ulysses; with a {@link RingAttention} over the
 * orthogonal group it is the 2D hybrid ({@link #hybrid}): Ulysses inside a group, ring across groups.
 *
 * <p>Query heads are split in U contiguous groups (H % U == 0). Key/value heads are split the same way
 * when H_kv % U == 0; when U > H_kv (U % H_kv == 0) each KV head is replicated to the U/H_kv ranks whose
 * query heads use it, and in backward the replicas' gradients are summed on the owner. Shards may have
 * different token counts (lengths not divisible by U). Masks travel as positions and segment ids, so
 * the gathered order (rank order) need not be the global token order.
 */
public final class UlyssesAttention implements AttentionOp {
    private final Communicator group;
    private final AttentionOp inner;

    public UlyssesAttention(Communicator group, AttentionOp inner) {
        this.group = group;
        this.inner = inner;
    }

    public UlyssesAttention(Communicator group, Kernels kernels) {
        this(group, new LocalAttention(kernels));
    }

    /**
     * The 2D grid over {@code sp} (collective: every rank of sp calls it): sp rank = u + r*U; Ulysses
     * groups are the U consecutive ranks of one ring slot r, rings join the ranks with equal u.
     * Shard data with {@link SequenceLayout#twoD}(kind, u, U, r, R).
     */
    public static UlyssesAttention hybrid(Communicator sp, int ulysses, Kernels kernels) {
        if (sp.size() % ulysses != 0) throw new IllegalArgumentException("Ulysses degree " + ulysses + " does not divide " + sp.size() + " ranks");
        int u = sp.rank() % ulysses, r = sp.rank() / ulysses;
        Communicator uly = sp.split(r, u);
        Communicator ring = sp.split(u, r);
        return new UlyssesAttention(uly, new RingAttention(ring, kernels));
    }

    public AttentionOp inner() { return inner; }

    /** The all-to-all reshards queries and keys with one token count per rank. */
    @Override public boolean acceptsQuerySubset() { return false; }

    /** Which query heads, and which kv heads, group rank j computes. */
    private record Heads(int[][] q, int[][] kv) {}

    private Heads heads(int h, int hk) {
        int u = group.size();
        if (h % u != 0) throw new IllegalArgumentException(h + " query heads cannot be split over " + u + " Ulysses ranks");
        if (hk % u != 0 && u % hk != 0)
            throw new IllegalArgumentException(hk + " kv heads cannot be split or replicated over " + u + " Ulysses ranks");
        int[][] q = new int[u][], kv = new int[u][];
        int hq = h / u;
        for (int j = 0; j < u; j++) {
            q[j] = range(j * hq, hq);
            kv[j] = hk % u == 0 ? range(j * (hk / u), hk / u) : new int[]{j * hk / u};
        }
        return new Heads(q, kv);
    }

    private static int[] range(int a, int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = a + i;
        return r;
    }

    @Override
    public void forward(AttentionArgs a) {
        Gathered g = gather(a);
        float[] outG = new float[g.t * g.hq * a.headDim()], lseG = new float[g.t * g.hq];
        inner.forward(g.args(a, outG, lseG));
        scatter(outG, g, g.hd.q, a.headDim(), a.out(), a.outOff(), a.heads(), false);
        scatter(lseG, g, g.hd.q, 1, a.lse(), a.lseOff(), a.heads(), false);
    }

    @Override
    public void backward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        Gathered g = gather(a);
        int D = a.headDim();
        float[] outG = seqToHeads(a.out(), a.outOff(), a.tokensQ(), a.heads(), D, g.hd.q, g.counts, g.t);
        float[] lseG = seqToHeads(a.lse(), a.lseOff(), a.tokensQ(), a.heads(), 1, g.hd.q, g.counts, g.t);
        float[] doG = seqToHeads(dOut, 0, a.tokensQ(), a.heads(), D, g.hd.q, g.counts, g.t);
        float[] deltaG = seqToHeads(delta, 0, a.tokensQ(), a.heads(), 1, g.hd.q, g.counts, g.t);
        float[] dqG = new float[g.t * g.hq * D], dkG = new float[g.t * g.hk * D], dvG = new float[g.t * g.hk * D];
        inner.backward(g.args(a, outG, lseG), doG, deltaG, dqG, dkG, dvG);
        scatter(dqG, g, g.hd.q, D, dq, 0, a.heads(), true);
        scatter(dkG, g, g.hd.kv, D, dk, 0, a.kvHeads(), true);
        scatter(dvG, g, g.hd.kv, D, dv, 0, a.kvHeads(), true);
    }

    /** The group's tokens for this rank's heads. */
    private final class Gathered {
        final Heads hd;
        final int[] counts, pos, seg;
        final int t, hq, hk;
        final float[] q, k, v;

        Gathered(AttentionArgs a) {
            if (a.tokensQ() != a.tokensK()) throw new IllegalArgumentException("Ulysses needs self-attention shards (tokensQ == tokensK)");
            hd = heads(a.heads(), a.kvHeads());
            int me = group.rank();
            hq = hd.q[me].length;
            hk = hd.kv[me].length;
            counts = group.allGather(new int[]{a.tokensQ()});
            int total = 0;
            for (int c : counts) total += c;
            t = total;
            pos = group.allGatherV(java.util.Arrays.copyOf(a.kPos(), a.tokensK()), counts);
            seg = a.kSeg() == null ? null : group.allGatherV(java.util.Arrays.copyOf(a.kSeg(), a.tokensK()), counts);
            int D = a.headDim();
            q = seqToHeads(a.q(), a.qOff(), a.tokensQ(), a.heads(), D, hd.q, counts, t);
            k = seqToHeads(a.k(), a.kOff(), a.tokensK(), a.kvHeads(), D, hd.kv, counts, t);
            v = seqToHeads(a.v(), a.vOff(), a.tokensK(), a.kvHeads(), D, hd.kv, counts, t);
        }

        AttentionArgs args(AttentionArgs a, float[] out, float[] lse) {
            return new AttentionArgs(q, 0, k, 0, v, 0, out, 0, lse, 0, t, t, hq, hk, a.headDim(),
                    pos, pos, seg, seg, a.causal(), a.scale(), a.blockQ(), a.blockK());
        }
    }

    private Gathered gather(AttentionArgs a) { return new Gathered(a); }

    /** [n, heads, w] sequence-sharded -> [total, |headsOf[me]|, w] in rank order of the tokens. */
    private float[] seqToHeads(float[] x, int off, int n, int heads, int w, int[][] headsOf, int[] counts, int total) {
        int p = group.size(), me = group.rank();
        int[] sc = new int[p], so = new int[p], rc = new int[p], ro = new int[p];
        int sendLen = 0;
        for (int j = 0; j < p; j++) { so[j] = sendLen; sc[j] = n * headsOf[j].length * w; sendLen += sc[j]; }
        float[] send = new float[sendLen];
        for (int j = 0; j < p; j++) {
            int[] hs = headsOf[j];
            int o = so[j];
            for (int t = 0; t < n; t++)
                for (int h : hs) { System.arraycopy(x, off + (t * heads + h) * w, send, o, w); o += w; }
        }
        int mine = headsOf[me].length * w, acc = 0;
        for (int i = 0; i < p; i++) { ro[i] = acc; rc[i] = counts[i] * mine; acc += rc[i]; }
        float[] recv = new float[total * mine];
        group.allToAllV(send, sc, so, recv, rc, ro);
        return recv;
    }

    /** Inverse of seqToHeads: rows of rank i go home into their head slots; accumulate sums replicas. */
    private void scatter(float[] g, Gathered gs, int[][] headsOf, int w, float[] dst, int dstOff, int heads, boolean accumulate) {
        int p = group.size(), me = group.rank();
        int mine = headsOf[me].length * w, n = gs.counts[me];
        int[] sc = new int[p], so = new int[p], rc = new int[p], ro = new int[p];
        int acc = 0;
        for (int i = 0; i < p; i++) { so[i] = acc; sc[i] = gs.counts[i] * mine; acc += sc[i]; }
        int rl = 0;
        for (int j = 0; j < p; j++) { ro[j] = rl; rc[j] = n * headsOf[j].length * w; rl += rc[j]; }
        float[] recv = new float[rl];
        group.allToAllV(g, sc, so, recv, rc, ro);
        if (!accumulate) // replicated rows would be written twice with equal values; plain heads once
            for (int j = 0; j < p; j++) {
                int o = ro[j];
                for (int t = 0; t < n; t++)
                    for (int h : headsOf[j]) { System.arraycopy(recv, o, dst, dstOff + (t * heads + h) * w, w); o += w; }
            }
        else
            for (int j = 0; j < p; j++) {
                int o = ro[j];
                for (int t = 0; t < n; t++)
                    for (int h : headsOf[j]) {
                        int d0 = dstOff + (t * heads + h) * w;
                        for (int e = 0; e < w; e++) dst[d0 + e] += recv[o + e];
                        o += w;
                    }
            }
    }
}
