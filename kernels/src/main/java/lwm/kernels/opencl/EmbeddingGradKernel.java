package lwm.kernels.opencl;

/**
 * The embedding backward, a scatter-add: dtable[ids[t], :] += dy[t, :] for t in [0, count). One work-item
 * per column walks the tokens in order, so repeated ids accumulate without atomics and in the same order
 * as the host loop (deterministic sums). Ids outside [0, vocab) are skipped (callers validate them).
 */
public final class EmbeddingGradKernel extends ClKernel {
    public float[] dtable, dy;
    public int[] ids;
    public int idsOff, count, dim, vocab, dyOff;

    @Override
    public void run() {
        int j = getGlobalId(0);
        if (j < dim) {
            for (int t = 0; t < count; t++) {
                int id = ids[idsOff + t];
                if (id >= 0 && id < vocab) dtable[id * dim + j] += dy[dyOff + t * dim + j];
            }
        }
    }
}
