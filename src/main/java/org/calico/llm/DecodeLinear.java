package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.Backend;
import org.calico.kernels.InferenceLinear;
import org.calico.kernels.NativeLibrary;
import org.calico.kernels.NativeOps;
import org.calico.tensor.T;

/**
 * Bias-free projection {@code x W^T} used by the LLaMA boxes. For a decode step (a few token rows:
 * up to 8 in F32 and BF16 with AVX512-BF16, else up to 2; no gradient needed) it runs CALICO's skinny GEMM kernel
 * ({@code src/main/cpp/skinny_gemm.cpp}, {@code cuda/skinny_gemm.cu}), which streams the weights once; LibTorch's
 * CPU build sends a 1-row product through OpenBLAS sgemm at a fraction of memory speed (docs/performance.md).
 * Longer inputs go where every nn.Linear goes ({@link InferenceLinear}: CALICO's GEMM tiles on AVX-512 CPUs when
 * no operand requires grad, else LibTorch's {@code linear}, the reference); {@code -Dcalico.kernels.skinny_gemm=torch}
 * turns the decode kernel off, {@code -Dcalico.kernels.linear=torch} the tiles.
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
        // measured on the 2-core CI-class VM (docs/performance.md): the skinny kernel wins for F32 and BF16 up to 8
        // rows (LibTorch's OpenBLAS sgemm is slow at small M; BF16 runs VDPBF16PS where the CPU has it, else it wins
        // up to 2 rows only, as F16 does: oneDNN is better from 3 rows on)
        org.calico.tensor.DType dt = T.dtype(x);
        long limit = dt == org.calico.tensor.DType.F32 || (dt == org.calico.tensor.DType.BF16 && NativeOps.skinnyHasBf16Dot())
                ? NativeOps.SKINNY_MAX_ROWS : 2;
        boolean plain = nativeEnabled() && !x.requires_grad() && !w.requires_grad() && w.is_contiguous()
                && x.scalar_type().value == w.scalar_type().value && x.is_cuda() == w.is_cuda() && dt.code() >= 0;
        if (plain && rows >= 1 && rows <= limit) return NativeOps.skinnyLinear(x, w);
        // longer inputs (prefill) as every nn.Linear: CALICO's GEMM tiles on AVX-512 CPUs where nothing needs grad
        // (F32 ~1.2x OpenBLAS here; BF16 at oneDNN's rate), else LibTorch
        return InferenceLinear.forward(x, w, null);
    }
}
