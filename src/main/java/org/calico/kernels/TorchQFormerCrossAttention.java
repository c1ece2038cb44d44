package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/** LibTorch composite of {@link QFormerCrossAttentionOp}: the reference, and the autograd path for training. */
public final class TorchQFormerCrossAttention implements QFormerCrossAttentionOp {
    @Override
    public Tensor forward(Tensor hidden, Tensor encoder, Weights w) {
        QFormerCrossAttentionOp.validate(hidden, encoder, w);
        Tensor q = T.linear(hidden, w.wq(), w.bq());
        Tensor k = T.linear(encoder, w.wk(), w.bk());
        Tensor v = T.linear(encoder, w.wv(), w.bv());
        return Composite.mha(q, k, v, w.heads());
    }
}
