package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Init;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * LLaMA RMSNorm ({@code transformers/models/llama/modeling_llama.py::LlamaRMSNorm}): computed in float32,
 * {@code x * rsqrt(mean(x^2, -1) + eps)}, cast back to the input dtype, then multiplied by {@code weight} (not
 * {@code 1 + weight}). Parameter {@code weight [D]}. forward: x [..., D] -> [..., D].
 */
public final class RmsNorm extends Module {
    public final long dim;
    public final double eps;
    public final Param weight;

    public RmsNorm(long dim, double eps, DType dtype, Dev dev) {
        super(dtype, dev);
        this.dim = dim;
        this.eps = eps;
        this.weight = param("weight", Init.ONES, dim);
    }

    public Tensor forward(Tensor x) {
        requireReady();
        if (x.size(-1) != dim) throw new IllegalArgumentException("RmsNorm(" + dim + "): input has last dim " + x.size(-1) + " " + T.shapeString(x));
        DType in = T.dtype(x);
        Tensor xf = in == DType.F32 ? x : T.to(x, DType.F32);
        Tensor var = T.mean(T.pow(xf, 2), -1, true);
        Tensor normed = T.mul(xf, T.rsqrt(T.add(var, eps)));
        if (in != DType.F32) normed = T.to(normed, in);
        return T.mul(weight.t(), normed);
    }
}
