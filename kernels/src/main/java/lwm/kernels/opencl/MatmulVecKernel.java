package lwm.kernels.opencl;

/**
 * {@link MatmulWideKernel} (same Java code, same parameters and launch shape) translated with 128-bit reads of
 * its local tiles ({@link VectorLocalReads}): per k-step a work-item reads its 8 A values and 8 B values with
 * four {@code float4} loads instead of sixteen scalar ones, for 64 multiply-adds. Every read base
 * ({@code kk * 132 + ty * 4}, {@code kk * 132 + 64 + ty * 4}, likewise with tx) is a multiple of 4.
 */
@StaticLocals
@VectorLocalReads
public final class MatmulVecKernel extends MatmulWideKernel {}
