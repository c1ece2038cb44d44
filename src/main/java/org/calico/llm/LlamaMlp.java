package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SwiGLU feed-forward of a LLaMA block: {@code down_proj(silu(gate_proj(x)) * up_proj(x))}, no biases.
 * Parameters {@code gate_proj.weight [I, D]}, {@code up_proj.weight [I, D]}, {@code down_proj.weight [D, I]}.
 * forward: x [B, L, D] -> [B, L, D].
 */
public final class LlamaMlp extends Module {
    public final Linear gateProj, upProj, downProj;

    public LlamaMlp(LlamaConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        gateProj = child("gate_proj", new Linear(c.hiddenSize(), c.intermediateSize(), false, dtype, dev));
        upProj = child("up_proj", new Linear(c.hiddenSize(), c.intermediateSize(), false, dtype, dev));
        downProj = child("down_proj", new Linear(c.intermediateSize(), c.hiddenSize(), false, dtype, dev));
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return DecodeLinear.apply(T.mul(T.silu(DecodeLinear.apply(x, gateProj.weight.t())), DecodeLinear.apply(x, upProj.weight.t())), downProj.weight.t());
    }
}
