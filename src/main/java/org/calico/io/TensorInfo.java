package org.calico.io;

import java.util.Arrays;

import org.calico.tensor.DType;

/**
 * One entry of a tensor file: name, element type, shape and byte range relative to the start of the data
 * section ({@code begin <= end}; {@code end - begin == numel * dtype.bytes()}).
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    public long numel() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    public long byteSize() { return end - begin; }

    @Override public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + " " + dtype + Arrays.toString(shape); }
}
