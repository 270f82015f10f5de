package lwm.ring;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How long a rank waits for a peer before declaring it failed. MPJ Express has no timeouts and no
 * failure detection, so every wait in this module polls with this bound instead of blocking forever.
 */
public final class Deadline {
    private Deadline() {}

    /** Seconds; {@code -Dlwm.ring.timeout=S} or {@code LWM_RING_TIMEOUT} overrides the 60 s default ("inf": no deadline). */
    public static long timeoutNanos() {
        String s = System.getProperty("lwm.ring.timeout", System.getenv("LWM_RING_TIMEOUT"));
        double sec = 60;
        if (s != null && s.trim().equals("inf")) return Long.MAX_VALUE;
        if (s != null && !s.isBlank()) sec = Double.parseDouble(s.trim());
        return (long) (sec * 1e9);
    }

    /**
     * Polls {@code done} until it holds; spins briefly (latency), then parks with growing pauses
     * (ranks oversubscribe the cores, so a spinning waiter would steal time from the rank it waits for).
     * Throws when {@code timeoutNanos} pass without completion.
     */
    public static void poll(BooleanSupplier done, long timeoutNanos, int peerRank, String what) {
        if (done.getAsBoolean()) return;
        long start = System.nanoTime();
        long pause = 1_000;
        for (int spins = 0; ; spins++) {
            if (done.getAsBoolean()) return;
            long waited = System.nanoTime() - start;
            if (waited > timeoutNanos)
                throw new PeerTimeoutException(peerRank, String.format("no progress from rank %d for %.0f s while waiting for %s",
                        peerRank, waited / 1e9, what));
            if (spins < 64) Thread.onSpinWait();
            else {
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 200_000);
            }
        }
    }
}
