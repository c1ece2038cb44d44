package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * Native {@link QFormerCrossAttentionOp} (CPU or CUDA by the tensors' device). On AVX-512 CPUs, when it saves work
 * ({@link #foldingPays}: BLIP-2's shapes), one call of calico_qformer_xattn_folded: K and V folded into the queries
 * and the output, 0.62x the multiply-adds of projecting every encoder token. Otherwise: q = hidden Wq^T + bq; one GEMM
 * kv = encoder [Wk; Wv]^T + [bk; bv] into a [B*S, 2*Dq] buffer ([Wk; Wv] concatenated once and cached), both through
 * {@link NativeOps#linear} (our CPU GEMM on AVX-512 CPUs, else LibTorch's addmm); the
 * fused attention kernel reads K at column h*d and V at column Dq + h*d of that buffer in place and writes
 * [B, Nq, Dq]. No autograd. Holds the cached weights: close() releases them.
 */
public final class NativeQFormerCrossAttention implements QFormerCrossAttentionOp {
    private final DerivedWeights kv = new DerivedWeights();
    private final DerivedWeights wkT = new DerivedWeights();

    /**
     * Whether folding K and V into the queries and the output (see qformer_xattn.cpp) does fewer multiply-adds than
     * projecting every encoder token: Nq (S + dh) against dh S, with a 15% margin for the extra passes (BLIP-2's
     * 32 queries over 257 tokens, dh 64: 0.62x).
     */
    static boolean foldingPays(long nq, long s, long dh) { return nq * (s + dh) < 0.85 * dh * s; }

    @Override
    public Tensor forward(Tensor hidden, Tensor encoder, Weights w) {
        QFormerCrossAttentionOp.validate(hidden, encoder, w);
        NativeOps.requireKernelDtype(Ops.QFORMER_CROSS_ATTENTION, hidden);
        long b = hidden.size(0), nq = hidden.size(1), dq = hidden.size(2), s = encoder.size(1), de = encoder.size(2);
        int h = w.heads();
        long d = dq / h;
        if (foldingPays(nq, s, d) && NativeOps.qformerFoldedAvailable(hidden)) {
            Tensor kt = wkT.get(new Tensor[] {w.wk()}, src -> new Tensor[] {src[0].t().contiguous()})[0];
            return NativeOps.qformerFolded(hidden, encoder, w.wq(), w.bq(), kt, w.wv(), w.bv(), h);
        }
        Tensor[] wkv = kv.get(new Tensor[] {w.wk(), w.bk(), w.wv(), w.bv()},
                src -> new Tensor[] {T.cat(0, src[0], src[2]).contiguous(), T.cat(0, src[1], src[3]).contiguous()});
        Tensor q = NativeOps.linear(hidden.reshape(b * nq, dq), w.wq(), w.bq(), null);
        Tensor kvp = NativeOps.linear(encoder.reshape(b * s, de), wkv[0], wkv[1], null);
        Tensor out = NativeOps.emptyLike(hidden, b, nq, dq);
        NativeOps.mha(NativeOps.MhaOperand.of(q, 0, nq * dq, dq), NativeOps.MhaOperand.of(kvp, 0, s * 2 * dq, 2 * dq),
                NativeOps.MhaOperand.of(kvp, dq, s * 2 * dq, 2 * dq), NativeOps.MhaOperand.of(out, 0, nq * dq, dq),
                b, h, nq, s, d, 1.0 / Math.sqrt(d));
        return out;
    }

    @Override public void close() {
        kv.close();
        wkT.close();
    }
}
