package lwm.model.train;

import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One trainable tensor: fp32 master values and their gradient, both plain row-major arrays so the
 * kernels can address them directly. {@link #tensor()} is a zero-copy f32 view for the kernels that
 * take checkpoint-style weights (rmsNorm, embedding).
 */
public final class Param {
    public final String name;
    public final long[] shape;
    public final float[] data;
    public final float[] grad;
    private final Tensor view;

    public Param(String name, long... shape) {
        this.name = name;
        this.shape = shape.clone();
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        this.data = new float[Math.toIntExact(n)];
        this.grad = new float[data.length];
        this.view = Tensor.wrap(MemorySegment.ofArray(data), DType.F32, shape);
    }

    public int size() { return data.length; }

    public Tensor tensor() { return view; }

    /** Norm gains and other vectors: no weight decay (the usual LLaMA recipe). */
    public boolean isVector() { return shape.length == 1; }

    public void zeroGrad() { Arrays.fill(grad, 0f); }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
