package lwm.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of worker threads for the CPU kernels. Work is split into contiguous index ranges, a few
 * per thread so an unlucky slow core (the machine is shared) does not hold the whole call back.
 * Calls made from inside a worker run inline: kernels never nest parallel regions.
 */
final class Parallel implements AutoCloseable {

    /** Body of a parallel loop over the index range [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ForkJoinPool pool;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        this.threads = threads;
        if (threads == 1) {
            pool = null;
        } else {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            pool = new ForkJoinPool(threads, p -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                t.setName("lwm-kernels-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }, null, false);
        }
    }

    int threads() { return threads; }

    /** True when the caller is one of this pool's workers (then loops run inline). */
    boolean inWorker() {
        return pool != null && Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool;
    }

    /**
     * Runs body over [0, n) in chunks of at least {@code grain} indices. {@code grain} is chosen by the caller so a
     * chunk is worth a task hand-off (roughly >= 10 microseconds of work).
     */
    void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        int maxChunks = Math.max(1, n / Math.max(1, grain));
        int chunks = Math.min(maxChunks, threads * 4);
        if (chunks <= 1 || pool == null || inWorker()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
        for (int c = 0; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            tasks[c] = pool.submit(() -> body.run(from, to));
        }
        RuntimeException first = null;
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    /** Runs body(i) for every i in [0, n), one task per index (for coarse, uneven work items). */
    void forEach(int n, java.util.function.IntConsumer body) {
        if (n <= 0) return;
        if (n == 1 || pool == null || inWorker()) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        int workers = Math.min(threads, n);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[workers];
        // Self-scheduling: each worker takes the next index, so uneven items (causal attention) balance.
        for (int w = 0; w < workers; w++)
            tasks[w] = pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
            });
        RuntimeException first = null;
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
