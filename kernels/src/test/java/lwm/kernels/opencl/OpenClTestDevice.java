package lwm.kernels.opencl;

import org.junit.jupiter.api.Assumptions;

/**
 * The OpenCL device the tests run on: {@code LWM_OPENCL_DEVICE} (default 0; CI has only PoCL). Missing
 * OpenCL FAILS the tests, because a backend that silently skips is a backend nobody tested; set
 * {@code LWM_NO_OPENCL=1} on a machine that deliberately has none.
 */
final class OpenClTestDevice {
    private OpenClTestDevice() {}

    private static OpenClKernels kernels, strided, vector, vectorDb;

    static synchronized OpenClKernels kernels() {
        Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        if (kernels == null) {
            String idx = System.getenv("LWM_OPENCL_DEVICE");
            kernels = new OpenClKernels(idx == null || idx.isBlank() ? 0 : Integer.parseInt(idx.trim()));
        }
        return kernels;
    }

    /** Both register-tile layouts of the matmul and attention-forward kernels, on one context. */
    static synchronized java.util.List<OpenClKernels> bothLayouts() {
        OpenClKernels k = kernels();
        if (strided == null) strided = new OpenClKernels(k.ops().context(), ClOps.Layout.STRIDED);
        return java.util.List.of(k, strided);
    }

    /** Every layout, for the matmul tests (VECTOR and VECTOR_DB differ from WIDE in their matmul only). */
    static synchronized java.util.List<OpenClKernels> allLayouts() {
        OpenClKernels k = kernels();
        if (vector == null) vector = new OpenClKernels(k.ops().context(), ClOps.Layout.VECTOR);
        if (vectorDb == null) vectorDb = new OpenClKernels(k.ops().context(), ClOps.Layout.VECTOR_DB);
        java.util.List<OpenClKernels> all = new java.util.ArrayList<>(bothLayouts());
        all.add(vector);
        all.add(vectorDb);
        return all;
    }
}
