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

    /** softmax(q k^T / sqrt(D)) v over [B, H, N, D] tensors, no mask. */
    static Tensor attend(Tensor q, Tensor k, Tensor v) { return T.sdpa(q, k, v); }

    static void requireRank(Tensor x, int rank, String what) {
        if (x.dim() != rank) throw new IllegalArgumentException(what + " must have rank " + rank + ", got shape " + T.shapeString(x));
    }

    static void requireDim(Tensor x, int dim, long size, String what) {
        if (x.size(dim) != size)
            throw new IllegalArgumentException(what + ": dimension " + dim + " must be " + size + ", got shape " + T.shapeString(x));
    }

    static boolean isF32(DType d) { return d == DType.F32; }
}
