package org.calico.vision;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/** Small shared tensor helpers of the vision modules (head split/merge, dtype coercion, shape checks). */
final class VisionOps {
    private VisionOps() {}

    static Dev devOf(Tensor t) { return t.is_cuda() ? Dev.cuda(t.device().index()) : Dev.CPU; }

    /** {@code x} in the module's dtype and on its device (a no-op when it already is). */
    static Tensor like(Tensor x, Module m) {
        boolean sameType = T.dtype(x) == m.dtype();
        boolean sameDev = x.is_cuda() == m.device().cuda() && (!x.is_cuda() || x.device().index() == Math.max(m.device().index(), 0));
        return sameType && sameDev ? x : T.to(x, m.device(), m.dtype());
    }

    /** [B, N, H*D] -> [B, H, N, D]. */
    static Tensor splitHeads(Tensor x, int heads) {
        long b = x.size(0), n = x.size(1), c = x.size(2);
        return x.reshape(b, n, heads, c / heads).transpose(1, 2);
    }

    /** [B, H, N, D] -> [B, N, H*D]. */
    static Tensor mergeHeads(Tensor x) {
        long b = x.size(0), h = x.size(1), n = x.size(2), d = x.size(3);
        return x.transpose(1, 2).reshape(b, n, h * d);
    }

    /**
     * softmax(q k^T / sqrt(D)) v over [B, H, N, D] tensors, no mask.
     *
     * <p>Which implementation: LibTorch's fused {@code scaled_dot_product_attention} on CUDA, and on the CPU only for
     * float32 with one intra-op thread. Measured on the 2-core CI VM (LibTorch 2.10 CPU, JavaCPP 1.5.13): its CPU
     * flash kernel runs bf16 through a slow reduced-precision GEMM (115 ms vs 3.1 ms for the explicit form at
     * [1, 16, 261, 64], one thread), and with more than one thread it calls the pthreads OpenBLAS from inside OpenMP
     * workers, which serialises on OpenBLAS' thread server (0.45-0.68 s vs 15-25 ms with OpenBLAS on one thread).
     * Otherwise the explicit form, as HF's eager attention: {@code softmax((q / sqrt(D)) k^T)} (softmax in float32)
     * times v.
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v) {
        if (q.is_cuda() || (T.dtype(q) == DType.F32 && org.calico.runtime.CalicoRuntime.threads() == 1)) return T.sdpa(q, k, v);
        return attendExplicit(q, k, v);
    }

    /** The explicit attention of {@link #attend}: softmax((q / sqrt(D)) k^T) v, softmax in float32. */
    static Tensor attendExplicit(Tensor q, Tensor k, Tensor v) {
        DType dt = T.dtype(q);
        Tensor s = T.matmul(T.mul(q, 1.0 / Math.sqrt(q.size(-1))), k.transpose(-2, -1));
        Tensor p = dt == DType.F32 ? T.softmax(s, -1) : T.to(T.softmax(s, -1, DType.F32), dt);
        return T.matmul(p, v);
    }

    static void requireRank(Tensor x, int rank, String what) {
        if (x.dim() != rank) throw new IllegalArgumentException(what + " must have rank " + rank + ", got shape " + T.shapeString(x));
    }

    static void requireDim(Tensor x, int dim, long size, String what) {
        if (x.size(dim) != size)
            throw new IllegalArgumentException(what + ": dimension " + dim + " must be " + size + ", got shape " + T.shapeString(x));
    }

    static boolean isF32(DType d) { return d == DType.F32; }
}
