package lwm.model.parallel;

import lwm.kernels.AttentionArgs;
import lwm.kernels.Kernels;

/** Single-process attention: the local keys/values are the whole sequence. */
public record LocalAttention(Kernels kernels) implements AttentionOp {
    @Override public void forward(AttentionArgs local) { kernels.attentionForward(local); }

    @Override public void backward(AttentionArgs local, float[] dOut, float[] delta, float[] dq, float[] dk, float[] dv) {
        kernels.attentionBackward(local, dOut, delta, dq, dk, dv);
    }
}
