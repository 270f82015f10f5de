package lwm.bench.jmh;

import lwm.kernels.VectorKernels;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
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

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The decode projection y = x . W^T with a 4096 x 4096 checkpoint weight (LLaMA-7B's q/k/v/o size) in its
 * stored dtype; rows = 1 is bound by reading W, so GB/s = out * in * dtype bytes / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LinearJmh {
    @Param({"BF16", "F32"})
    public String dtype;

    @Param({"1", "64"})
    public int rows;

    private static final int OUT = 4096, IN = 4096;
    private Arena arena;
    private Tensor w;
    private float[] x, y;
    private VectorKernels kernels;

    @Setup
    public void setUp() {
        arena = Arena.ofShared();
        w = Tensor.allocate(arena, DType.valueOf(dtype), OUT, IN);
        SplittableRandom r = new SplittableRandom(4);
        for (long i = 0; i < (long) OUT * IN; i++) w.setFlat(i, (float) (r.nextDouble() - 0.5));
        x = new float[rows * IN];
        y = new float[rows * OUT];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        kernels = new VectorKernels();
    }

    @TearDown
    public void tearDown() {
        kernels.close();
        arena.close();
    }

    @Benchmark
    public float[] linear() {
        kernels.linear(x, 0, w, y, 0, rows, OUT, IN);
        return y;
    }
}
