package org.calico.llm;

import java.util.Set;
import java.util.TreeSet;

import org.bytedeco.pytorch.Tensor;

/**
 * A function applied to the hidden states at the input of selected decoder layers during the full-sequence pass
 * (training, or the prefill of generation), never on cached decode steps. CALICO's CAMs (paper eq. 7-9, spec §5/§7)
 * use it: at layer l the hook receives {@code hidden [B, L, D]} (the output of layers 0..l-1), reads the last
 * instruction token's state, and returns the states with the CAM residual added to each image's token span; decoder
 * layer l then runs on what the hook returned. Returning the input unchanged leaves the forward bit-identical.
 *
 * <p>The hook must return a tensor of the same shape, dtype and device (checked). It runs on the thread of the
 * forward, inside its PointerScope.
 */
@FunctionalInterface
public interface PrefillHook {
    /** CALICO's CAM layers for the 32-layer LLM (paper: L = {11, 22}). */
    Set<Integer> DEFAULT_LAYERS = Set.of(11, 22);

    /** hidden [B, L, D] at the input of decoder layer {@code layer} -> [B, L, D]. */
    Tensor apply(int layer, Tensor hidden);

    /** The 0-based decoder layers before which {@link #apply} is called. */
    default Set<Integer> layers() { return DEFAULT_LAYERS; }

    /** A hook at an explicit set of layers. */
    static PrefillHook at(Set<Integer> layers, PrefillHook fn) {
        if (layers.isEmpty()) throw new IllegalArgumentException("a prefill hook needs at least one layer");
        for (int l : layers) if (l < 0) throw new IllegalArgumentException("prefill hook layer must be >= 0, got " + l);
        Set<Integer> copy = Set.copyOf(new TreeSet<>(layers));
        return new PrefillHook() {
            @Override public Tensor apply(int layer, Tensor hidden) { return fn.apply(layer, hidden); }

            @Override public Set<Integer> layers() { return copy; }
        };
    }
}
