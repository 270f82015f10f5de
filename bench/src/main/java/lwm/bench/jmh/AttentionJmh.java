package lwm.bench.jmh;

import lwm.kernels.AttentionArgs;
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

/**
 * Causal blockwise attention forward and backward, [seq, heads, dim] f32 (default 8 heads of 64), through
 * {@link VectorKernels}. The demo's shape: {@code -p seq=8192 -p heads=2 -p dim=32 -p blockQ=256 -p blockK=512}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AttentionJmh {
    @Param({"2048"})
    public int seq;

    @Param({"128"})
    public int blockQ;

    @Param({"128"})
    public int blockK;

    @Param({"8"})
    public int heads;

    @Param({"64"})
    public int dim;

    private VectorKernels kernels;
    private AttentionArgs args;
    private float[] dOut, delta, dq, dk, dv;

    @Setup
    public void setUp() {
        kernels = new VectorKernels();
        SplittableRandom r = new SplittableRandom(2);
        int n = seq * heads * dim;
        float[] q = new float[n], k = new float[n], v = new float[n];
        for (float[] x : new float[][]{q, k, v}) for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble();
        int[] pos = new int[seq];
        for (int i = 0; i < seq; i++) pos[i] = i;
        args = new AttentionArgs(q, 0, k, 0, v, 0, new float[n], 0, new float[seq * heads], 0, seq, seq, heads, heads, dim,
                pos, pos, null, null, true, (float) (1 / Math.sqrt(dim)), blockQ, blockK);
        dOut = new float[n];
        for (int i = 0; i < n; i++) dOut[i] = (float) r.nextDouble();
        delta = new float[seq * heads];
        dq = new float[n];
        dk = new float[n];
        dv = new float[n];
        kernels.attentionForward(args);
        kernels.attentionDelta(args.out(), dOut, delta, seq, heads, dim);
    }

    @TearDown
    public void tearDown() { kernels.close(); }

    @Benchmark
    public float[] forward() {
        kernels.attentionForward(args);
        return args.out();
    }

    @Benchmark
    public float[] backward() {
        kernels.attentionBackward(args, dOut, delta, dq, dk, dv);
        return dq;
    }
}
