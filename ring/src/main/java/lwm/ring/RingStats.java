package lwm.ring;

/** Per-rank timing of the last ring calls: wall time vs time inside the attention kernels. */
public final class RingStats {
    private long totalNanos, computeNanos, skippedHops, hops, calls;

    synchronized void record(boolean backward, long total, long compute, long skipped, int steps) {
        totalNanos += total;
        computeNanos += compute;
        skippedHops += skipped;
        hops += steps;
        calls++;
    }

    public synchronized long totalNanos() { return totalNanos; }

    public synchronized long computeNanos() { return computeNanos; }

    public synchronized long skippedHops() { return skippedHops; }

    public synchronized long hops() { return hops; }

    public synchronized long calls() { return calls; }

    public synchronized void reset() { totalNanos = computeNanos = skippedHops = hops = calls = 0; }
}
