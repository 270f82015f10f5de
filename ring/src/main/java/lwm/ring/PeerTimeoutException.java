package lwm.ring;

/** A wait passed its {@link Deadline}: the named peer did not answer (it may itself be waiting on another). */
public class PeerTimeoutException extends RankFailedException {
    public PeerTimeoutException(int peer, String message) {
        super(peer, message);
    }
}
