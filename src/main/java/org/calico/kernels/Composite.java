package org.calico.kernels;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/** LibTorch building blocks shared by the composite (reference, autograd) implementations of the custom ops. */
final class Composite {
    private Composite() {}

    /**
     * Eager multi-head attention on projected inputs, as upstream writes it (HF Blip2QFormerMultiHeadAttention,
     * segment-anything Attention): heads split by view/transpose, {@code scores = q_h k_h^T / sqrt(d)}, softmax in
     * fp32, {@code probs v_h}, heads merged. q [Bq, Lq, H*d], k/v [Bk, Lk, H*d]; a batch of 1 broadcasts (matmul
     * broadcasting) -> [max(Bq, Bk), Lq, H*d].
     */
    static Tensor mha(Tensor q, Tensor k, Tensor v, int heads) {
        long lq = q.size(1), c = q.size(2), d = c / heads;
        Tensor qh = q.reshape(q.size(0), lq, heads, d).transpose(1, 2);
        Tensor kh = k.reshape(k.size(0), k.size(1), heads, d).transpose(1, 2);
        Tensor vh = v.reshape(v.size(0), v.size(1), heads, d).transpose(1, 2);
        Tensor scores = torch.matmul(qh, kh.transpose(-1, -2)).div(new Scalar(Math.sqrt(d)));
        Tensor probs = T.softmax(scores, -1, DType.F32).to(q.scalar_type());
        Tensor o = torch.matmul(probs, vh);
        return o.transpose(1, 2).reshape(o.size(0), lq, c);
    }

    /** segment-anything modeling/common.py LayerNorm2d over the channels of x [N, C, H, W]. */
    static Tensor layerNorm2d(Tensor x, Tensor weight, Tensor bias, double eps) {
        Tensor u = x.mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor xc = x.sub(u);
        Tensor s = xc.pow(new Scalar(2)).mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor xn = xc.div(s.add(new Scalar(eps)).sqrt());
        return weight.reshape(-1, 1, 1).mul(xn).add(bias.reshape(-1, 1, 1));
    }
}
