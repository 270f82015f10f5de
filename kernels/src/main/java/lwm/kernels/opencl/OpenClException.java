package lwm.kernels.opencl;

/**
 * The OpenCL backend cannot do what was asked: no OpenCL runtime, no such device, a kernel that does not
 * compile for the chosen device. Thrown instead of falling back to another backend: a silent fallback
 * would make every speed and correctness figure lie about where it was measured.
 */
public final class OpenClException extends RuntimeException {
    private final int status;

    public OpenClException(String message) { this(message, 0); }
    public OpenClException(String message, int status) { super(message); this.status = status; }

    /** The OpenCL status code when the error came from the runtime, else 0. */
    public int status() { return status; }
    public OpenClException(String message, Throwable cause) { super(message, cause); this.status = 0; }
}
