package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.T;

/**
 * Native {@link QFormerCrossAttentionOp} (CPU or CUDA by the tensors' device). When it saves work ({@link #foldingPays}:
 * BLIP-2's shapes) and {@link #fold} allows (default: CPU), K and V are folded into the queries and the output, 0.62x
 * the multiply-adds of projecting every encoder token: one call of calico_qformer_xattn_folded on AVX-512 CPUs, else
 * {@link #foldedComposite}. Otherwise: q = hidden Wq^T + bq; one GEMM
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

    /** The system property that switches the folded path: auto (default), on, off. */
    public static final String FOLD_PROPERTY = "calico.qformer.fold";

    /**
     * Whether to fold where it pays, by {@code -Dcalico.qformer.fold}: {@code auto} (default) on the CPU only (the
     * GPU figures of the folded algebra are not measured yet: bench/gpu/check.py times it as a variant); {@code on}
     * on every device (CUDA: LibTorch GEMMs, {@link #foldedComposite}); {@code off} never.
     */
    static boolean fold(boolean cuda) {
        String mode = System.getProperty(FOLD_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (mode) {
            case "auto" -> !cuda;
            case "on" -> true;
            case "off" -> false;
            default -> throw new KernelException("-D" + FOLD_PROPERTY + "=" + mode + ": expected auto, on or off");
        };
    }

    /**
     * The folded algebra with LibTorch ops (any device; the CPU kernel is calico_qformer_xattn_folded):
     * Qk = q_h Wk_h, P = softmax(Qk enc^T / sqrt(dh)) (fp32 softmax), out = (P enc) Wv_h^T + bv, batched over heads
     * and images with bmm. bk drops out of the softmax.
     */
    static Tensor foldedComposite(Tensor hidden, Tensor encoder, Weights w) {
        long b = hidden.size(0), nq = hidden.size(1), dq = hidden.size(2), s = encoder.size(1), de = encoder.size(2);
        int h = w.heads();
        long d = dq / h;
        Tensor q = torch.addmm(w.bq(), hidden.reshape(b * nq, dq), w.wq().t());
        Tensor qk = torch.bmm(q.view(b * nq, h, d).transpose(0, 1), w.wk().reshape(h, d, de)); // [H, B*Nq, De]
        qk = qk.view(h, b, nq, de).transpose(0, 1).reshape(b, h * nq, de);
        Tensor scores = torch.bmm(qk, encoder.transpose(1, 2)).mul(T.s(1.0 / Math.sqrt(d))); // [B, H*Nq, S]
        Tensor p = T.softmax(scores, -1, org.calico.tensor.DType.F32).to(hidden.scalar_type());
        Tensor px = torch.bmm(p, encoder).view(b, h, nq, de).transpose(0, 1).reshape(h, b * nq, de);
        Tensor o = torch.bmm(px, w.wv().reshape(h, d, de).transpose(1, 2)); // [H, B*Nq, d]
        return o.transpose(0, 1).reshape(b, nq, dq).add(w.bv());
    }

    @Override
    public Tensor forward(Tensor hidden, Tensor encoder, Weights w) {
        QFormerCrossAttentionOp.validate(hidden, encoder, w);
        NativeOps.requireKernelDtype(Ops.QFORMER_CROSS_ATTENTION, hidden);
        long b = hidden.size(0), nq = hidden.size(1), dq = hidden.size(2), s = encoder.size(1), de = encoder.size(2);
        int h = w.heads();
        long d = dq / h;
        if (fold(NativeLibrary.onCuda(hidden)) && foldingPays(nq, s, d)) {
            if (NativeOps.qformerFoldedAvailable(hidden)) {
                Tensor kt = wkT.get(new Tensor[] {w.wk()}, src -> new Tensor[] {src[0].t().contiguous()})[0];
                return NativeOps.qformerFolded(hidden, encoder, w.wq(), w.bq(), kt, w.wv(), w.bv(), h);
            }
            return foldedComposite(hidden, encoder, w);
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
