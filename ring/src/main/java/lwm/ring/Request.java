package lwm.ring;

/** A pending non-blocking send or receive. */
public interface Request {
    /** True once the transfer has completed; never blocks. */
    boolean test();

    /** Blocks until completion or throws {@link RankFailedException} when the deadline passes or a rank failed. */
    void await();

    static void awaitAll(Request... requests) {
        for (Request r : requests) if (r != null) r.await();
    }
}
