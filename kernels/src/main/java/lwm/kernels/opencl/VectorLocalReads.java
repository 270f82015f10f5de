package lwm.kernels.opencl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks {@link KernelTranslator} to turn four-wide reads of local memory into one 128-bit read each. Java has
 * no vector types and NVIDIA's OpenCL compiler kept every local read of the translated code scalar (one
 * {@code ld.shared.f32} per float: bench/gpu/results/h200-run3/ptx.tgz), so the kernel says it in plain Java
 * and the translator rewrites it. The marked pattern is a loop of exactly four trips whose body holds only
 * assignments of the form
 * <pre>{@code for (int i = 0; i < 4; i++) { r[i] = loc[base + i]; r[4 + i] = loc[base2 + i]; }}</pre>
 * with {@code loc} a {@code @Local} float array and {@code r} a private array; each assignment becomes
 * {@code float4 v = *(__local const float4 *)&loc[base]; r[0] = v.x; ... r[3] = v.w;}. The Java code keeps its
 * meaning (the translation reads the same four floats), so the kernel stays plain Java and testable on any
 * device. Requires {@link StaticLocals} with private arrays (the local arrays are then declared at kernel
 * scope, 16-byte aligned). The kernel promises that every such {@code base} is a multiple of 4: a 128-bit read
 * must be 16-byte aligned (the translator cannot prove it; tests on PoCL, whose x86 reads tolerate
 * misalignment, would not notice). Translation fails if the annotated kernel has no loop of this form.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface VectorLocalReads {}
