package org.calico.nn;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * nn.Conv2d with square kernel, stride and padding. Parameters {@code weight [out, in, k, k]}, {@code bias [out]}.
 * forward: x [B, in, H, W] -> [B, out, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1].
 */
public class Conv2d extends Module {
    public final long in, out, kernel, stride, padding;
    public final Param weight, bias;

    public Conv2d(long in, long out, long kernel, long stride, long padding, boolean bias, DType dtype, Dev dev) {
        super(dtype, dev);
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = param("weight", Init.FAN_IN, out, in, kernel, kernel);
        this.bias = bias ? param("bias", Init.ZEROS, out) : null;
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return T.conv2d(x, weight.t(), bias == null ? null : bias.t(), stride, padding);
    }
}
