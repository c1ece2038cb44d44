package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Init;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code LayerNorm2d} ({@code segment_anything/modeling/common.py}): LayerNorm over the channel dim of an NCHW
 * tensor, {@code weight [C]}, {@code bias [C]}, eps 1e-6 by default. Upstream spells it out as
 * {@code (x - mean_c) / sqrt(var_c + eps) * w + b}; here the same normalisation runs as one fused {@code layer_norm}
 * over a channels-last view (identical maths, float32 rounding differences only).
 */
public final class LayerNorm2d extends Module {
    public final long channels;
    public final double eps;
    public final Param weight, bias;

    public LayerNorm2d(long channels, double eps, DType dtype, Dev dev) {
        super(dtype, dev);
        this.channels = channels;
        this.eps = eps;
        this.weight = param("weight", Init.ONES, channels);
        this.bias = param("bias", Init.ZEROS, channels);
    }

    /** x [B, C, H, W] -> [B, C, H, W] (returned with channels-last strides). */
    public Tensor forward(Tensor x) {
        return forwardChannelsLast(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
    }

    /** The same normalisation on a channels-last tensor: x [..., C] -> [..., C]. */
    public Tensor forwardChannelsLast(Tensor x) {
        requireReady();
        if (x.size(-1) != channels)
            throw new IllegalArgumentException("LayerNorm2d(" + channels + "): input has " + x.size(-1) + " channels, shape " + T.shapeString(x));
        return T.layerNorm(x, weight.t(), bias.t(), eps);
    }
}
