package lwm.model;

import lwm.tensor.Tensor;

import java.util.Collection;

/**
 * Named tensors a model is built from: a safetensors checkpoint, or tensors built in memory. Keeps the
 * weight validation independent of where the bytes live.
 */
public interface TensorSource {
    Collection<String> names();

    boolean has(String name);

    /** The tensor, zero-copy where the source allows; unknown names throw. */
    Tensor tensor(String name);

    /** A source over an in-memory map (tests, freshly initialised models). */
    static TensorSource of(java.util.Map<String, Tensor> map) {
        return new TensorSource() {
            @Override public Collection<String> names() { return map.keySet(); }
            @Override public boolean has(String name) { return map.containsKey(name); }
            @Override public Tensor tensor(String name) {
                Tensor t = map.get(name);
                if (t == null) throw new IllegalArgumentException("no tensor '" + name + "'");
                return t;
            }
        };
    }
}
