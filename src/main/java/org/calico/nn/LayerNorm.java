package org.calico.nn;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * nn.LayerNorm over the last dimension. Parameters {@code weight [C]}, {@code bias [C]}.
 * forward: x [..., C] -> [..., C]. The epsilon is part of the model definition (1e-6 SAM/DINOv2/EVA, 1e-5 torch
 * default, 1e-12 BERT/Q-Former); pass it explicitly.
 */
public class LayerNorm extends Module {
    public final long dim;
    public final double eps;
    public final Param weight, bias;

    public LayerNorm(long dim, double eps, DType dtype, Dev dev) {
        super(dtype, dev);
        this.dim = dim;
        this.eps = eps;
        this.weight = param("weight", Init.ONES, dim);
        this.bias = param("bias", Init.ZEROS, dim);
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return T.layerNorm(x, weight.t(), bias.t(), eps);
    }
}
