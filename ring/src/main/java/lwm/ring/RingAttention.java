package lwm.ring;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;
import lwm.model.parallel.AttentionOp;

import java.util.Arrays;
import java.util.List;

/**
 * RingAttention (Liu et al. 2023) over a {@link Communicator}: each rank keeps its queries; the key/value
 * blocks (with their positions and segment ids, which define the mask) travel one hop to the right per
 * step. The next block's transfer is posted before the current block is computed (double buffering), so
 * communication overlaps {@link Kernels#attentionForward}. Partial results merge exactly through their
 * log-sum-exp in f64. Pairs that are entirely masked are skipped via {@link VisibleBox}, which gives
 * the causal savings of plain, zigzag and striped layouts from positions alone.
 *
 * <p>Backward: K and V travel again, together with f32 dK/dV accumulators: at every step a rank adds
 * its contribution to the accumulator of the block it holds and passes it on; after P steps each
 * accumulator has visited every rank and its last hop brings it home. Contributions are computed into
 * scratch first, so the accumulator's transfer overlaps the next compute.
 *
 * <p>Not thread-safe; one instance per rank and attention stream. Every rank of the ring must call
 * forward/backward in the same order (they are collectives).
 */
public final class RingAttention implements AttentionOp {
    private static final int TAG_DK = 5, TAG_DV = 6;

    private final Communicator ring;
    private final Kernels kernels;
    private final RingStats stats = new RingStats();

    public RingAttention(Communicator ring, Kernels kernels) {
        this.ring = ring;
        this.kernels = kernels;
    }

    /** Timing of the last calls on this rank (compute vs waiting), for the benchmark. */
    public RingStats stats() { return stats; }

    public Communicator communicator() { return ring; }

    @Override
    public void forward(AttentionArgs a) {
        long t0 = System.nanoTime();
        int p = ring.size(), r = ring.rank(), left = Math.floorMod(r - 1, p), right = (r + 1) % p;
        int H = a.heads(), D = a.headDim(), tq = a.tokensQ(), w = a.kvHeads() * D;
        boolean seg = a.kSeg() != null;
        int[] counts = p == 1 ? new int[]{a.tokensK()} : ring.allGather(new int[]{a.tokensK()});
        int cap = Arrays.stream(counts).max().orElse(0);
        KvBlock cur = new KvBlock(cap, w, seg), nxt = p > 1 ? new KvBlock(cap, w, seg) : null;
        cur.load(a);
        double[] o = new double[tq * H * D];
        double[] l = new double[tq * H];
        Arrays.fill(l, Double.NEGATIVE_INFINITY);
        float[] tmpOut = new float[tq * H * D], tmpLse = new float[tq * H];
        long compute = 0, skipped = 0;
        for (int s = 0; s < p; s++) {
            List<Request> reqs = null;
            if (s < p - 1) {
                nxt.n = counts[Math.floorMod(r - s - 1, p)];
                reqs = cur.exchange(ring, left, right, nxt);
            }
            long c0 = System.nanoTime();
            VisibleBox b = VisibleBox.of(a.qPos(), a.qSeg(), tq, cur.pos, cur.seg, cur.n, a.causal());
            if (b == null) skipped++;
            else {
                kernels.attentionForward(sub(a, cur, b, tmpOut, 0, tmpLse, 0));
                merge(o, l, tmpOut, tmpLse, b, H, D);
            }
            compute += System.nanoTime() - c0;
            if (reqs != null) {
                for (Request q : reqs) q.await();
                KvBlock t = cur; cur = nxt; nxt = t;
            }
        }
        float[] out = a.out(), lse = a.lse();
        for (int i = 0; i < o.length; i++) out[a.outOff() + i] = (float) o[i];
        for (int i = 0; i < l.length; i++) lse[a.lseOff() + i] = (float) l[i];
        stats.record(false, System.nanoTime() - t0, compute, skipped, p);
    }

    /**
     * The compute of {@link #forward} without any communication, for measuring overlap: hop s attends
     * the local queries to a stand-in block (this rank's own K/V rows) carrying the positions and
     * segment ids that hop s would bring ({@code hopPos[s]}, {@code hopSeg[s]}, one per ring step), so
     * the same pairs are skipped, boxed and merged. Writes out and lse like forward.
     */
    public void computeOnly(AttentionArgs a, int[][] hopPos, int[][] hopSeg) {
        int H = a.heads(), D = a.headDim(), tq = a.tokensQ(), w = a.kvHeads() * D;
        int cap = 0;
        for (int[] p : hopPos) cap = Math.max(cap, p.length);
        if (cap > a.tokensK()) throw new IllegalArgumentException("stand-in block needs " + cap + " local key rows, have " + a.tokensK());
        KvBlock blk = new KvBlock(cap, w, hopSeg != null);
        System.arraycopy(a.k(), a.kOff(), blk.k, 0, cap * w);
        System.arraycopy(a.v(), a.vOff(), blk.v, 0, cap * w);
        double[] o = new double[tq * H * D];
        double[] l = new double[tq * H];
        Arrays.fill(l, Double.NEGATIVE_INFINITY);
        float[] tmpOut = new float[tq * H * D], tmpLse = new float[tq * H];
        for (int s = 0; s < hopPos.length; s++) {
            blk.n = hopPos[s].length;
            System.arraycopy(hopPos[s], 0, blk.pos, 0, blk.n);
            if (hopSeg != null) System.arraycopy(hopSeg[s], 0, blk.seg, 0, blk.n);
            VisibleBox b = VisibleBox.of(a.qPos(), a.qSeg(), tq, blk.pos, blk.seg, blk.n, a.causal());
            if (b == null) continue;
            kernels.attentionForward(sub(a, blk, b, tmpOut, 0, tmpLse, 0));
            merge(o, l, tmpOut, tmpLse, b, H, D);
        }
        for (int i = 0; i < o.length; i++) a.out()[a.outOff() + i] = (float) o[i];
        for (int i = 0; i < l.length; i++) a.lse()[a.lseOff() + i] = (float) l[i];
    }

    /** Rows of the block result merge into the running (o, l): exact softmax combination via log-sum-exp. */
    private static void merge(double[] o, double[] l, float[] bo, float[] bl, VisibleBox b, int H, int D) {
        for (int i = 0; i < b.rows(); i++)
            for (int h = 0; h < H; h++) {
                double lb = bl[i * H + h];
                if (lb == Double.NEGATIVE_INFINITY) continue;   // row sees nothing in this block
                int row = (b.qa() + i) * H + h;
                double la = l[row];
                int oo = row * D, bo0 = (i * H + h) * D;
                if (la == Double.NEGATIVE_INFINITY) {
                    for (int d = 0; d < D; d++) o[oo + d] = bo[bo0 + d];
                    l[row] = lb;
                    continue;
                }
                double m = Math.max(la, lb), wa = Math.exp(la - m), wb = Math.exp(lb - m), sum = wa + wb;
                for (int d = 0; d < D; d++) o[oo + d] = (wa * o[oo + d] + wb * bo[bo0 + d]) / sum;
                l[row] = m + Math.log(sum);
            }
    }

    private static AttentionArgs sub(AttentionArgs a, KvBlock blk, VisibleBox b, float[] out, int outOff, float[] lse, int lseOff) {
        int H = a.heads(), D = a.headDim(), w = a.kvHeads() * D;
        return new AttentionArgs(a.q(), a.qOff() + b.qa() * H * D, blk.k, b.ka() * w, blk.v, b.ka() * w,
                out, outOff, lse, lseOff, b.rows(), b.cols(), H, a.kvHeads(), D,
                Arrays.copyOfRange(a.qPos(), b.qa(), b.qb()), Arrays.copyOfRange(blk.pos, b.ka(), b.kb()),
                a.qSeg() == null ? null : Arrays.copyOfRange(a.qSeg(), b.qa(), b.qb()),
                blk.seg == null ? null : Arrays.copyOfRange(blk.seg, b.ka(), b.kb()),
                a.causal(), a.scale(), a.blockQ(), a.blockK());
    }

    @Override
    public void backward(AttentionArgs a, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        long t0 = System.nanoTime();
        int p = ring.size(), r = ring.rank(), left = Math.floorMod(r - 1, p), right = (r + 1) % p;
        int H = a.heads(), D = a.headDim(), tq = a.tokensQ(), w = a.kvHeads() * D;
        boolean seg = a.kSeg() != null;
        int[] counts = p == 1 ? new int[]{a.tokensK()} : ring.allGather(new int[]{a.tokensK()});
        int cap = Arrays.stream(counts).max().orElse(0);
        KvBlock cur = new KvBlock(cap, w, seg), nxt = p > 1 ? new KvBlock(cap, w, seg) : null;
        cur.load(a);
        // three accumulator pairs: the one being added to, the one arriving, the one still leaving
        int slots = p == 1 ? 1 : 3;
        float[][] accK = new float[slots][cap * w], accV = new float[slots][cap * w];
        Request[][] accSend = new Request[3][], accRecv = new Request[3][];
        float[] tmpK = new float[cap * w], tmpV = new float[cap * w];
        float[] tmpDo = null, tmpDelta = null, tmpDq = null;
        long compute = 0, skipped = 0;
        for (int s = 0; s < p; s++) {
            int slot = s % 3;
            List<Request> reqs = null;
            if (s < p - 1) {
                nxt.n = counts[Math.floorMod(r - s - 1, p)];
                reqs = cur.exchange(ring, left, right, nxt);
            }
            if (p > 1) {   // accumulator for the next step's block (at the last step: our own, home)
                int ns = (s + 1) % 3, n = counts[Math.floorMod(r - s - 1, p)] * w;
                if (accSend[ns] != null) Request.awaitAll(accSend[ns]);
                accRecv[ns] = new Request[]{ring.irecv(accK[ns], 0, n, left, TAG_DK), ring.irecv(accV[ns], 0, n, left, TAG_DV)};
            }
            long c0 = System.nanoTime();
            VisibleBox b = VisibleBox.of(a.qPos(), a.qSeg(), tq, cur.pos, cur.seg, cur.n, a.causal());
            int kn = 0;
            if (b == null) skipped++;
            else {
                kn = b.cols() * w;
                Arrays.fill(tmpK, 0, kn, 0f);
                Arrays.fill(tmpV, 0, kn, 0f);
                AttentionArgs sa = sub(a, cur, b, a.out(), a.outOff() + b.qa() * H * D, a.lse(), a.lseOff() + b.qa() * H);
                if (b.qa() == 0 && b.qb() == tq) kernels.attentionBackward(sa, dOut, delta, dq, tmpK, tmpV);
                else {
                    int rows = b.rows() * H;
                    if (tmpDq == null) { tmpDo = new float[tq * H * D]; tmpDelta = new float[tq * H]; tmpDq = new float[tq * H * D]; }
                    System.arraycopy(dOut, b.qa() * H * D, tmpDo, 0, rows * D);
                    System.arraycopy(delta, b.qa() * H, tmpDelta, 0, rows);
                    Arrays.fill(tmpDq, 0, rows * D, 0f);
                    kernels.attentionBackward(sa, tmpDo, tmpDelta, tmpDq, tmpK, tmpV);
                    for (int i = 0, o = b.qa() * H * D; i < rows * D; i++) dq[o + i] += tmpDq[i];
                }
            }
            compute += System.nanoTime() - c0;
            if (s == 0) { Arrays.fill(accK[0], 0f); Arrays.fill(accV[0], 0f); }
            else Request.awaitAll(accRecv[slot]);
            if (b != null)
                for (int i = 0, o = b.ka() * w; i < kn; i++) { accK[slot][o + i] += tmpK[i]; accV[slot][o + i] += tmpV[i]; }
            if (p > 1) {
                int n = cur.n * w;
                accSend[slot] = new Request[]{ring.isend(accK[slot], 0, n, right, TAG_DK), ring.isend(accV[slot], 0, n, right, TAG_DV)};
            }
            if (reqs != null) {
                for (Request q : reqs) q.await();
                KvBlock t = cur; cur = nxt; nxt = t;
            }
        }
        int home = p % slots, n = a.tokensK() * w;
        if (p > 1) Request.awaitAll(accRecv[home]);
        for (int i = 0; i < n; i++) { dk[i] += accK[home][i]; dv[i] += accV[home][i]; }
        for (Request[] q : accSend) if (q != null) Request.awaitAll(q);
        stats.record(true, System.nanoTime() - t0, compute, skipped, p);
    }
}
