package lwm.cli;

/** A mistake by the user (bad flag, missing file, malformed input): printed as one line, no stack trace. */
public class UsageError extends RuntimeException {
    public UsageError(String message) { super(message); }
}
