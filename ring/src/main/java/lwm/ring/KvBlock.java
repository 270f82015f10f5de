package lwm.ring;

import lwm.kernels.AttentionArgs;

import java.util.ArrayList;
import java.util.List;

/** One travelling key/value block: K and V rows with the positions and segment ids that define its mask. */
final class KvBlock {
    static final int TAG_K = 1, TAG_V = 2, TAG_POS = 3, TAG_SEG = 4;

    final float[] k, v;
    final int[] pos, seg;
    final int width;
    int n;

    KvBlock(int capacity, int width, boolean segments) {
        this.k = new float[capacity * width];
        this.v = new float[capacity * width];
        this.pos = new int[capacity];
        this.seg = segments ? new int[capacity] : null;
        this.width = width;
    }

    void load(AttentionArgs a) {
        n = a.tokensK();
        System.arraycopy(a.k(), a.kOff(), k, 0, n * width);
        System.arraycopy(a.v(), a.vOff(), v, 0, n * width);
        System.arraycopy(a.kPos(), 0, pos, 0, n);
        if (seg != null) System.arraycopy(a.kSeg(), 0, seg, 0, n);
    }

    /** Sends this block to {@code right} and receives {@code into} (whose n the caller set) from {@code left}. */
    List<Request> exchange(Communicator c, int left, int right, KvBlock into) {
        List<Request> r = new ArrayList<>(8);
        r.add(c.irecv(into.k, 0, into.n * width, left, TAG_K));
        r.add(c.irecv(into.v, 0, into.n * width, left, TAG_V));
        r.add(c.irecv(into.pos, 0, into.n, left, TAG_POS));
        if (seg != null) r.add(c.irecv(into.seg, 0, into.n, left, TAG_SEG));
        r.add(c.isend(k, 0, n * width, right, TAG_K));
        r.add(c.isend(v, 0, n * width, right, TAG_V));
        r.add(c.isend(pos, 0, n, right, TAG_POS));
        if (seg != null) r.add(c.isend(seg, 0, n, right, TAG_SEG));
        return r;
    }
}
