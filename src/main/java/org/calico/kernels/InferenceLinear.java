package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * nn.Linear's forward for every module ({@code y = x W^T + b}, x [..., in], W [out, in], b [out] or null): CALICO's
 * CPU GEMM tiles ({@link NativeOps#linear}, {@code gemm_rows.cpp}) where they apply, LibTorch's {@code linear}
 * everywhere else. They apply to CPU tensors of a dtype the tiles cover on this CPU (F32: AVX-512; BF16:
 * AVX512-BF16), when no operand requires grad (frozen encoders in training qualify; trainable layers keep
 * autograd), for products of at least {@link #MIN_MACS} multiply-adds and 16 rows (below that the call overhead is
 * not paid back), and unless {@code -Dcalico.kernels.linear=torch} (or {@code -Dcalico.kernels=torch}) is set.
 */
public final class InferenceLinear {
    /** The op name for {@code -Dcalico.kernels.linear=torch|native}. */
    public static final String OP = "linear";

    /** Smallest product (rows x in x out) sent to the tiles. */
    public static final long MIN_MACS = 1L << 20;

    private InferenceLinear() {}

    /** x [..., in] @ w [out, in]^T + b -> [..., out]. */
    public static Tensor forward(Tensor x, Tensor w, Tensor b) {
        if (applies(x, w, b)) {
            long in = x.size(-1), rows = x.numel() / in;
            long[] shape = T.shape(x);
            shape[shape.length - 1] = w.size(0);
            return NativeOps.linear(x.reshape(rows, in), w, b, null).view(shape);
        }
        return T.linear(x, w, b);
    }

    static boolean applies(Tensor x, Tensor w, Tensor b) {
        if (x.is_cuda() || x.dim() < 1 || w.dim() != 2) return false;
        long in = x.size(-1);
        if (in == 0 || w.size(1) != in) return false;
        long rows = x.numel() / in;
        if (rows < 16 || rows * in * w.size(0) < MIN_MACS) return false;
        if (x.requires_grad() || w.requires_grad() || (b != null && b.requires_grad())) return false;
        if (x.scalar_type().value != w.scalar_type().value || (b != null && b.scalar_type().value != w.scalar_type().value))
            return false;
        if (!NativeLibrary.available() || Backend.configured(OP) != Backend.NATIVE) return false;
        return NativeOps.linearAvailable(x);
    }
}
