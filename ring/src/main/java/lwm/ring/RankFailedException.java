package lwm.ring;

/**
 * A rank failed or stopped answering. The message always names the rank, so whatever catches it
 * (the rank's main, the launcher, a test) can tell the user which process to look at.
 */
public class RankFailedException extends RuntimeException {
    private final int failedRank;

    public RankFailedException(int failedRank, String message) {
        super(message);
        this.failedRank = failedRank;
    }

    public RankFailedException(int failedRank, String message, Throwable cause) {
        super(message, cause);
        this.failedRank = failedRank;
    }

    /** World rank of the process that failed (or the one we waited for in vain). */
    public int failedRank() { return failedRank; }
}
