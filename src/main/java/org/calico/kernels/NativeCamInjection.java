package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * Native {@link CamInjectionOp} (CPU or CUDA). adapt: one kernel (gather of the last-instruction rows, one pass over
 * Wa for every batch row, bias, broadcast add onto the queries). reintegrate: on an AVX-512 CPU in F32 (BF16: with
 * AVX512-BF16), one kernel (the projection accumulated in fp32 and added straight into the hidden rows, one rounding)
 * when the image spans do not overlap; otherwise one
 * GEMM for all images (proj = addmm(br, x, Wr^T), [nImg*Nq, D]) and one scatter-add kernel. Both run out of place
 * (the copy of hidden is fused with the add) or in place (only span rows are touched). No autograd.
 */
public final class NativeCamInjection implements CamInjectionOp {
    @Override
    public Tensor adapt(Tensor hidden, long[] lastIdx, AdaptWeights w) {
        CamInjectionOp.validateAdapt(hidden, lastIdx, w);
        NativeOps.requireKernelDtype(Ops.CAM_INJECTION, hidden);
        return NativeOps.camAdapt(hidden, lastIdx, w.wa().contiguous(), w.ba().contiguous(), w.queries().contiguous());
    }

    @Override
    public Tensor reintegrate(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
        NativeOps.requireKernelDtype(Ops.CAM_INJECTION, hidden);
        if (fused(hidden, rows, starts, x, w)) return NativeOps.camReintegrateFused(hidden, x, w.wr(), w.br(), rows, starts, false);
        return NativeOps.camScatterAdd(hidden, project(x, w), rows, starts, false);
    }

    @Override
    public Tensor reintegrateInPlace(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
        NativeOps.requireKernelDtype(Ops.CAM_INJECTION, hidden);
        NativeOps.requireContiguous(Ops.CAM_INJECTION + ".reintegrateInPlace", "hidden", hidden);
        if (fused(hidden, rows, starts, x, w)) return NativeOps.camReintegrateFused(hidden, x, w.wr(), w.br(), rows, starts, true);
        return NativeOps.camScatterAdd(hidden, project(x, w), rows, starts, true);
    }

    /** The fused kernel applies: its device/dtype/CPU, contiguous operands, spans that do not overlap. */
    static boolean fused(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        return NativeOps.camReintegrateFusedAvailable(hidden) && x.is_contiguous() && w.wr().is_contiguous()
                && w.br().is_contiguous() && !NativeOps.spansOverlap(rows, starts, x.size(1));
    }

    private static Tensor project(Tensor x, ReintegrateWeights w) {
        long nImg = x.size(0), nq = x.size(1), dq = x.size(2);
        return NativeOps.linear(x.reshape(nImg * nq, dq), w.wr(), w.br(), null).view(nImg, nq, w.wr().size(0));
    }
}
