package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/** LibTorch composite of {@link CemFusionOp}: the reference, and the autograd path for training. */
public final class TorchCemFusion implements CemFusionOp {
    @Override
    public Tensor forward(Tensor x, Tensor sem, Weights w) {
        CemFusionOp.validate(x, sem, w);
        Tensor xq = T.layerNorm(x, w.normQW(), w.normQB(), w.eps());
        Tensor s = T.layerNorm(sem, w.normKvW(), w.normKvB(), w.eps());
        Tensor a = Composite.mha(T.linear(xq, w.wq(), w.bq()), T.linear(s, w.wk(), w.bk()), T.linear(s, w.wv(), w.bv()), w.heads());
        return x.add(T.linear(a, w.wo(), w.bo()));
    }
}
