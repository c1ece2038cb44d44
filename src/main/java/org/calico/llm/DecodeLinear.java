package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.Backend;
import org.calico.kernels.NativeLibrary;
import org.calico.kernels.NativeOps;
import org.calico.tensor.T;

/**
 * Bias-free projection {@code x W^T} used by the LLaMA boxes. For a decode step (a few token rows:
 * up to 8 in F32, up to 2 in BF16/F16; no gradient needed) it runs CALICO's skinny GEMM kernel
 * ({@code src/main/cpp/skinny_gemm.cpp}, {@code cuda/skinny_gemm.cu}), which streams the weights once; LibTorch's
 * CPU build sends a 1-row product through OpenBLAS sgemm at a fraction of memory speed (docs/performance.md).
 * Everything else, and {@code -Dcalico.kernels.skinny_gemm=torch}, uses LibTorch's {@code linear} (the reference).
 */
final class DecodeLinear {
    private DecodeLinear() {}

    private static volatile Boolean nativeOn;

    static boolean nativeEnabled() {
        Boolean b = nativeOn;
        if (b == null) {
            boolean on;
            try {
                on = NativeLibrary.available() && Backend.configured("skinny_gemm") == Backend.NATIVE;
            } catch (RuntimeException e) {
                on = false;
            }
            nativeOn = b = on;
        }
        return b;
    }

    /** x [..., in] @ w [out, in]^T -> [..., out]. */
    static Tensor apply(Tensor x, Tensor w) {
        long rows = x.size(-1) == 0 ? 0 : x.numel() / x.size(-1);
        // measured on the 2-core CI-class VM (docs/performance.md): the kernel wins for F32 up to 8 rows (LibTorch's
        // OpenBLAS sgemm is slow at small M) and for BF16/F16 up to 2 rows (oneDNN is better from 3 rows on)
        long limit = T.dtype(x) == org.calico.tensor.DType.F32 ? NativeOps.SKINNY_MAX_ROWS : 2;
        if (nativeEnabled() && rows >= 1 && rows <= limit
                && !x.requires_grad() && !w.requires_grad() && w.is_contiguous()
                && x.scalar_type().value == w.scalar_type().value && x.is_cuda() == w.is_cuda()
                && T.dtype(x).code() >= 0)
            return NativeOps.skinnyLinear(x, w);
        return T.linear(x, w, null);
    }
}
