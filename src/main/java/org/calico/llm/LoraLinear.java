package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * A bias-free {@link Linear} that a LoRA adapter can be attached to (LLaMA's {@code q_proj} / {@code v_proj}).
 * Its own state-dict names are exactly those of {@code nn.Linear} ({@code weight [out, in]}); the adapter's
 * {@code lora_A}/{@code lora_B} live in a separate {@link LoraAdapters} module, so base checkpoints load unchanged.
 * forward: x [..., in] -> [..., out] = x W^T + (unless merged) scaling * B(A(dropout(x))).
 */
public final class LoraLinear extends Linear {
    private volatile LoraAdapters.Pair adapter;

    public LoraLinear(long in, long out, DType dtype, Dev dev) {
        super(in, out, false, dtype, dev);
    }

    /** The attached adapter or null. */
    public LoraAdapters.Pair adapter() { return adapter; }

    void attach(LoraAdapters.Pair p) { this.adapter = p; }

    @Override public Tensor forward(Tensor x) {
        requireReady();
        Tensor y = DecodeLinear.apply(x, weight.t());
        LoraAdapters.Pair a = adapter;
        if (a != null && !a.merged()) y = T.add(y, a.delta(x));
        return y;
    }
}
