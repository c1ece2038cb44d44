package org.calico.nn;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * One named tensor of a {@link Module}: a parameter (floating point, follows the module's dtype, may be trained) or a
 * persistent buffer (kept in the state dict, never trained, keeps its own dtype unless it is floating point).
 * The tensor is owned by the Param and survives PointerScopes; {@link #t()} returns it for use inside ops.
 */
public final class Param {
    private final String name;
    private final long[] shape;
    private final boolean buffer;
    private final DType fixedDType;
    private final Init init;
    private Tensor value;
    private boolean trainable;

    Param(String name, long[] shape, boolean buffer, DType fixedDType, Init init, Tensor value) {
        this.name = name;
        this.shape = shape.clone();
        this.buffer = buffer;
        this.fixedDType = fixedDType;
        this.init = init;
        this.value = T.keep(value);
    }

    /** The tensor (do not close it). */
    public Tensor t() { return value; }

    public String name() { return name; }

    public long[] shape() { return shape.clone(); }

    public boolean isBuffer() { return buffer; }

    /** dtype it keeps regardless of the module's (e.g. I64 buffers), or null when it follows the module. */
    public DType fixedDType() { return fixedDType; }

    public Init init() { return init; }

    public long numel() { return T.numel(shape); }

    public boolean trainable() { return trainable; }

    /** Marks the parameter trainable (requires_grad) or frozen; buffers cannot be trained. */
    public void setTrainable(boolean on) {
        if (on && buffer) throw new IllegalStateException("buffer '" + name + "' cannot be trained");
        trainable = on;
        value.requires_grad_(on);
    }

    /** Replaces the tensor (shape must match); releases the previous one. */
    void replace(Tensor t) {
        if (!Arrays.equals(T.shape(t), shape))
            throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(shape) + ", got " + T.shapeString(t));
        Tensor old = value;
        value = T.keep(t);
        if (trainable) value.requires_grad_(true);
        T.release(old);
    }

    void release() {
        T.release(value);
    }

    @Override public String toString() { return name + Arrays.toString(shape) + (buffer ? " (buffer)" : ""); }
}
