package org.calico.kernels;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Checked Java entry points to the native kernels: shapes, dtypes, devices and contiguity are validated here, so
 * that native code only ever sees consistent addresses. Outputs are allocated by LibTorch.
 */
public final class NativeOps {
    private NativeOps() {}

    static int deviceCode(Tensor t) { return t.is_cuda() ? 1 : 0; }

    static int dtypeCode(Tensor t, String op) {
        DType d = T.dtype(t);
        if (d.code() < 0) throw new KernelException(op + ": dtype " + d + " not supported (F32, BF16, F16)");
        return d.code();
    }

    static void sameDeviceDtype(String op, Tensor ref, String name, Tensor t) {
        if (t == null) return;
        if (t.is_cuda() != ref.is_cuda())
            throw new KernelException(op + ": '" + name + "' is on " + (t.is_cuda() ? "cuda" : "cpu") + " but the input is on " + (ref.is_cuda() ? "cuda" : "cpu"));
        if (t.scalar_type().value != ref.scalar_type().value)
            throw new KernelException(op + ": '" + name + "' is " + T.dtype(t) + " but the input is " + T.dtype(ref));
        if (!t.is_contiguous()) throw new KernelException(op + ": '" + name + "' must be contiguous");
    }

    /** CUDA stream for kernels on {@code t}'s device: 0 = legacy default stream (LibTorch's default on that device). */
    static long stream(Tensor t) { return 0L; }

    /**
     * Fused LayerNorm over the last dim. x [..., C] (last dim contiguous), w/b [C]. Returns a new contiguous tensor.
     */
    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        final String op = "layer_norm";
        NativeLibrary.require();
        long c = x.size(-1);
        if (w == null) throw new KernelException(op + ": weight is required");
        if (w.dim() != 1 || w.size(0) != c)
            throw new KernelException(op + ": weight shape " + T.shapeString(w) + " does not match input last dim " + c);
        if (b != null && (b.dim() != 1 || b.size(0) != c))
            throw new KernelException(op + ": bias shape " + T.shapeString(b) + " does not match input last dim " + c);
        int dt = dtypeCode(x, op);
        sameDeviceDtype(op, x, "weight", w);
        sameDeviceDtype(op, x, "bias", b);
        Tensor xc = x.contiguous();
        long rows = x.numel() / Math.max(1, c);
        Tensor y = org.bytedeco.pytorch.global.torch.empty_like(xc);
        if (x.numel() == 0) return y;
        int rc = NativeKernels.calico_layer_norm(deviceCode(x), dt, T.address(xc), T.address(y), T.address(w),
                b == null ? 0L : T.address(b), rows, c, c, c, (float) eps, stream(x));
        NativeLibrary.check(rc, op + Arrays.toString(T.shape(x)));
        return y;
    }

    /** Largest row count {@link #skinnyLinear} takes. */
    public static final int SKINNY_MAX_ROWS = 8;

    /**
     * x @ w^T for a few rows (LLM decode steps): x [..., K] with at most {@link #SKINNY_MAX_ROWS} rows in total,
     * w [N, K] contiguous, same dtype (F32/BF16/F16) and device; fp32 accumulation. Returns [..., N]. No autograd.
     */
    public static Tensor skinnyLinear(Tensor x, Tensor w) {
        final String op = "skinny_gemm";
        NativeLibrary.require();
        if (w.dim() != 2) throw new KernelException(op + ": weight must be [N, K], got " + T.shapeString(w));
        long k = w.size(1), n = w.size(0);
        if (x.dim() < 1 || x.size(-1) != k)
            throw new KernelException(op + ": input " + T.shapeString(x) + " does not match weight " + T.shapeString(w));
        long m = x.numel() / k;
        if (m < 1 || m > SKINNY_MAX_ROWS) throw new KernelException(op + ": input has " + m + " rows, the kernel takes 1.." + SKINNY_MAX_ROWS);
        int dt = dtypeCode(x, op);
        sameDeviceDtype(op, x, "weight", w);
        Tensor xc = x.contiguous();
        long[] outShape = T.shape(x);
        outShape[outShape.length - 1] = n;
        Tensor y = org.bytedeco.pytorch.global.torch.empty(outShape, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()).device(
                new org.bytedeco.pytorch.DeviceOptional(x.device())), null);
        int rc = NativeKernels.calico_skinny_gemm(deviceCode(x), dt, T.address(xc), T.address(w), T.address(y), m, n, k, stream(x));
        NativeLibrary.check(rc, op + Arrays.toString(T.shape(x)) + "x" + Arrays.toString(T.shape(w)));
        return y;
    }

    /** The CPU path of {@link #skinnyLinear} on this machine ("avx512f", "avx2+fma" or "scalar"). */
    public static String skinnyPath() {
        NativeLibrary.require();
        return NativeKernels.calico_skinny_gemm_path().getString();
    }
}
