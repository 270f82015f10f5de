package lwm.kernels.opencl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks {@link KernelTranslator} to declare the kernel's {@code @Local} arrays as fixed-size arrays at kernel
 * scope instead of {@code __local} pointer parameters. The compiler then knows their size and alignment (so
 * it may merge four consecutive local reads into one 128-bit read: Java has no vector types), and that they
 * alias nothing else. NVIDIA's OpenCL compiler did not merge the reads, but both tiled kernels that use this
 * ran faster on the H200 (bench/gpu/RESULTS.md).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface StaticLocals {
    /**
     * Also declare the private arrays at kernel scope and let the body use parameters directly (not through
     * Aparapi's {@code This} struct). Measured on the H200: the matmul gained (with its register prefetch,
     * 0.44x to 0.50x of cuBLAS), the attention forward lost 3%, so it is per kernel.
     */
    boolean privateArrays() default true;
}
