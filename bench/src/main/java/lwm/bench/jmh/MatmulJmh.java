package lwm.bench.jmh;

import lwm.kernels.VectorKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** f32 square matmul through {@link VectorKernels}; GFLOP/s = 2 size^3 / time. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MatmulJmh {
    @Param({"1024"})
    public int size;

    /** 0 = every available processor. */
    @Param({"0"})
    public int threads;

    private VectorKernels kernels;
    private float[] a, b, c;

    @Setup
    public void setUp() {
        kernels = threads == 0 ? new VectorKernels() : new VectorKernels(threads);
        SplittableRandom r = new SplittableRandom(1);
        a = new float[size * size];
        b = new float[size * size];
        c = new float[size * size];
        for (int i = 0; i < a.length; i++) { a[i] = (float) r.nextDouble(); b[i] = (float) r.nextDouble(); }
    }

    @TearDown
    public void tearDown() { kernels.close(); }

    @Benchmark
    public float[] matmul() {
        kernels.matmul(a, 0, b, 0, c, 0, size, size, size, false);
        return c;
    }
}
