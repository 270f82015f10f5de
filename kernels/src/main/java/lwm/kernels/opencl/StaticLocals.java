package lwm.kernels.opencl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks {@link KernelTranslator} to declare the kernel's {@code @Local} arrays as fixed-size arrays at kernel
 * scope instead of {@code __local} pointer parameters. The compiler then knows their size and alignment, so
 * four consecutive local reads can become one 128-bit read; Java has no vector types, so this is how the
 * register-tiled kernels get wide local-memory loads.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface StaticLocals {}
