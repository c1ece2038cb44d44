package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Init;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * nn.ConvTranspose2d with square kernel k and stride s, no padding. Parameters {@code weight [in, out, k, k]} (PyTorch's
 * transposed layout), {@code bias [out]}. forward: x [B, in, H, W] -> [B, out, (H-1)*s + k, (W-1)*s + k].
 */
public final class ConvTranspose2d extends Module {
    public final long in, out, kernel, stride;
    public final Param weight, bias;

    public ConvTranspose2d(long in, long out, long kernel, long stride, DType dtype, Dev dev) {
        super(dtype, dev);
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.weight = param("weight", Init.FAN_IN_TRANSPOSED, in, out, kernel, kernel);
        this.bias = param("bias", Init.ZEROS, out);
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return T.convTranspose2d(x, weight.t(), bias.t(), stride);
    }
}
