package org.calico.nn;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.InferenceLinear;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;

/**
 * nn.Linear: y = x W^T + b. Parameters {@code weight [out, in]}, {@code bias [out]} (optional).
 * forward: x [..., in] -> [..., out].
 */
public class Linear extends Module {
    public final long in, out;
    public final Param weight, bias;

    public Linear(long in, long out, boolean bias, DType dtype, Dev dev) {
        this(in, out, bias, null, dtype, dev);
    }

    /** {@code init} applies to both weight and bias (e.g. {@link Init#ZEROS} for a zero-initialised projection). */
    public Linear(long in, long out, boolean bias, Init init, DType dtype, Dev dev) {
        super(dtype, dev);
        this.in = in;
        this.out = out;
        this.weight = param("weight", init, out, in);
        this.bias = bias ? param("bias", init, out) : null;
    }

    /** CALICO's CPU GEMM tiles where they apply (inference, AVX-512; see {@link InferenceLinear}), else LibTorch. */
    public Tensor forward(Tensor x) {
        requireReady();
        return InferenceLinear.forward(x, weight.t(), bias == null ? null : bias.t());
    }
}
