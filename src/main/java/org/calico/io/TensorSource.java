package org.calico.io;

import java.util.Set;

import org.bytedeco.pytorch.Tensor;

/**
 * Named tensors that can be read one at a time (a safetensors file, a sharded index, a torch checkpoint, or an
 * in-memory {@link StateDict}). Loading a 7B model goes key by key through this interface, so peak memory stays
 * near the size of the model itself.
 */
public interface TensorSource extends AutoCloseable {
    /** All tensor names, in file order. */
    Set<String> names();

    /** dtype and shape of {@code name}; throws {@link CheckpointException} naming the source if absent. */
    TensorInfo info(String name);

    /** A new CPU tensor (caller owns it) holding {@code name} in its stored dtype. */
    Tensor load(String name);

    default boolean contains(String name) { return names().contains(name); }

    /** Where the tensors come from, for error messages. */
    String description();

    @Override void close();
}
