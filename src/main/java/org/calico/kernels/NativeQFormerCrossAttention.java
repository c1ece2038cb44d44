package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.T;

/**
 * Native {@link QFormerCrossAttentionOp} (CPU or CUDA by the tensors' device): q = addmm(bq, hidden, Wq^T); one GEMM
 * kv = addmm([bk; bv], encoder, [Wk; Wv]^T) into a [B*S, 2*Dq] buffer ([Wk; Wv] concatenated once and cached); the
 * fused attention kernel reads K at column h*d and V at column Dq + h*d of that buffer in place and writes
 * [B, Nq, Dq]. No autograd. Holds the cached weights: close() releases them.
 */
public final class NativeQFormerCrossAttention implements QFormerCrossAttentionOp {
    private final DerivedWeights kv = new DerivedWeights();

    @Override
    public Tensor forward(Tensor hidden, Tensor encoder, Weights w) {
        QFormerCrossAttentionOp.validate(hidden, encoder, w);
        NativeOps.requireKernelDtype(Ops.QFORMER_CROSS_ATTENTION, hidden);
        long b = hidden.size(0), nq = hidden.size(1), dq = hidden.size(2), s = encoder.size(1), de = encoder.size(2);
        int h = w.heads();
        long d = dq / h;
        Tensor[] wkv = kv.get(new Tensor[] {w.wk(), w.bk(), w.wv(), w.bv()},
                src -> new Tensor[] {T.cat(0, src[0], src[2]).contiguous(), T.cat(0, src[1], src[3]).contiguous()});
        Tensor q = torch.addmm(w.bq(), hidden.reshape(b * nq, dq), w.wq().t());
        Tensor kvp = torch.addmm(wkv[1], encoder.reshape(b * s, de), wkv[0].t());
        Tensor out = NativeOps.emptyLike(hidden, b, nq, dq);
        NativeOps.mha(NativeOps.MhaOperand.of(q, 0, nq * dq, dq), NativeOps.MhaOperand.of(kvp, 0, s * 2 * dq, 2 * dq),
                NativeOps.MhaOperand.of(kvp, dq, s * 2 * dq, 2 * dq), NativeOps.MhaOperand.of(out, 0, nq * dq, dq),
                b, h, nq, s, d, 1.0 / Math.sqrt(d));
        return out;
    }

    @Override public void close() { kv.close(); }
}
