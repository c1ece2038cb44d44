package org.calico.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * An ordered, owning map of named tensors (PyTorch's {@code state_dict}). Tensors put here are retained past any
 * enclosing PointerScope and released by {@link #close()}. Not thread-safe for mutation.
 */
public final class StateDict implements TensorSource {
    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
    private final String description;

    public StateDict() { this("in-memory state dict"); }

    public StateDict(String description) { this.description = description; }

    /** Reads every tensor of {@code source} into memory. */
    public static StateDict copyOf(TensorSource source) {
        StateDict sd = new StateDict(source.description());
        for (String n : source.names()) sd.putOwned(n, source.load(n));
        return sd;
    }

    /** Adds {@code t} (retaining it); replaces and releases a previous tensor of that name. */
    public StateDict put(String name, Tensor t) {
        Tensor old = tensors.put(name, T.handle(t));
        if (old != null) T.release(old);
        return this;
    }

    /** Adds a tensor created outside any scope, taking it over without retaining. */
    private void putOwned(String name, Tensor t) {
        Tensor old = tensors.put(name, T.keep(t));
        if (old != null) T.release(old);
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(description + ": no tensor named '" + name + "'");
        return t;
    }

    public Tensor getOrNull(String name) { return tensors.get(name); }

    public Tensor remove(String name) { return tensors.remove(name); }

    public Map<String, Tensor> asMap() { return Collections.unmodifiableMap(tensors); }

    public int size() { return tensors.size(); }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }

    @Override public TensorInfo info(String name) {
        Tensor t = get(name);
        DType d = T.dtype(t);
        long n = t.numel() * d.bytes();
        return new TensorInfo(name, d, T.shape(t), 0, n);
    }

    /** A shallow handle to the stored tensor (shares memory; the caller's scope owns the handle). */
    @Override public Tensor load(String name) { return get(name).detach(); }

    @Override public String description() { return description; }

    @Override public void close() {
        for (Tensor t : tensors.values()) T.release(t);
        tensors.clear();
    }
}
