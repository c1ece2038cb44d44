package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Native {@link SamMaskDecodingOp} (CPU or CUDA).
 * <ul>
 *   <li>attention: q/k/v projections as GEMMs on each input's own batch (a batch-1 input is projected once), the
 *       fused attention kernel with batch stride 0 for shared inputs, out_proj GEMM.</li>
 *   <li>attention with few keys (image->token: 4096 image queries over T = 6-7 tokens, {@code 2 H T <= inner}; on CUDA
 *       from 4 prompts on, {@link #foldFewKeys}): the
 *       projections are folded into the keys and values ({@link #attentionFewKeys}): scores = q_in A + c with
 *       A = Wq_h^T (k_h scale)^T per head ([C, H*T] per prompt), softmax over each head's T columns,
 *       out = P B + bo with B = (v Wv_h^T + bv_h) Wo_h^T ([H*T, C]): two GEMMs of width H*T (56) replace the q_proj and
 *       out_proj GEMMs of width inner (128) over the 4096 queries, 2.3x fewer FLOPs; no attention kernel needed.</li>
 *   <li>upscale / masks: each ConvTranspose2d(k2, s2) is one GEMM per image, {@code y = Wt [4*Cout, Cin] @ x [Cin, h*w]}
 *       with Wt = weight reordered to rows (a, b, o) once (cached); SAM's channels-last src is consumed as a
 *       transposed operand without a copy. Kernel 1 fuses pixel shuffle + bias + LayerNorm2d + GELU; kernel 2 fuses
 *       pixel shuffle + bias + GELU and, for masks, the hypernetwork product (upscaled never materialised).</li>
 * </ul>
 * No autograd. close() releases the cached weights.
 */
public final class NativeSamMaskDecoding implements SamMaskDecodingOp {
    private final DerivedWeights convWeights = new DerivedWeights();

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
        SamMaskDecodingOp.validateAttention(q, k, v, w);
        NativeOps.requireKernelDtype(Ops.SAM_MASK_DECODING, q);
        long bq = q.size(0), lq = q.size(1), c = q.size(2), bk = k.size(0), lk = k.size(1), bv = v.size(0);
        long n = Math.max(bq, Math.max(bk, bv));
        long inner = w.wq().size(0);
        int h = w.heads();
        long d = inner / h;
        if (foldFewKeys(NativeLibrary.onCuda(q), n, lq, lk, h, inner, bk == bv)) return attentionFewKeys(q, k, v, w);
        Tensor qp = torch.addmm(w.bq(), q.reshape(bq * lq, c), w.wq().t());
        Tensor kp = torch.addmm(w.bk(), k.reshape(bk * lk, c), w.wk().t());
        Tensor vp = torch.addmm(w.bv(), v.reshape(bv * lk, c), w.wv().t());
        Tensor o = NativeOps.emptyLike(q, n * lq, inner);
        NativeOps.mha(NativeOps.MhaOperand.of(qp, 0, bq == 1 ? 0 : lq * inner, inner),
                NativeOps.MhaOperand.of(kp, 0, bk == 1 ? 0 : lk * inner, inner),
                NativeOps.MhaOperand.of(vp, 0, bv == 1 ? 0 : lk * inner, inner),
                NativeOps.MhaOperand.of(o, 0, lq * inner, inner), n, h, lq, lk, d, 1.0 / Math.sqrt(d));
        return torch.addmm(w.bo(), o, w.wo().t()).view(n, lq, w.wo().size(0));
    }

    /** Rows (prompts x queries) from which the folded few-key path pays on CUDA (see {@link #foldFewKeys}). */
    static final long CUDA_FOLD_MIN_ROWS = 16384;

    /**
     * Whether to run {@link #attentionFewKeys}: few keys ({@code 2 H T <= inner}), many queries, k and v of one batch;
     * on CUDA only from {@link #CUDA_FOLD_MIN_ROWS} query rows on. The H200 run (docs/performance.md) timed the folded
     * image->token op at 0.81x of eager with one prompt (0.19 ms: a dozen small launches) but 1.66x with 32, while the
     * unfolded stages at one prompt add up to ~0.10 ms (projections 0.051, kernel 0.020, out_proj 0.025; eager 0.156).
     * The CPU always folds (2.3x fewer multiply-adds, no launch cost).
     */
    static boolean foldFewKeys(boolean cuda, long n, long lq, long lk, int heads, long inner, boolean kvSameBatch) {
        if (!kvSameBatch || 2 * heads * lk > inner || lq < 256) return false;
        return !cuda || n * lq >= CUDA_FOLD_MIN_ROWS;
    }

    /**
     * Attention with the projections folded into the (few) keys and values; k and v share their batch (1 or N).
     * q [Bq, Lq, C], k/v [Bk, T, C] -> [max(Bq, Bk), Lq, C]. Mathematically equal to the unfolded attention (fp32
     * rounding differs; bf16: the folded matrices are rounded once, like the projected q and the attention output
     * upstream).
     */
    static Tensor attentionFewKeys(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
        long bq = q.size(0), lq = q.size(1), c = q.size(2), bk = k.size(0), t = k.size(1);
        long n = Math.max(bq, bk), inner = w.wq().size(0);
        int h = w.heads();
        long d = inner / h, ht = h * t;
        Tensor kp = torch.addmm(w.bk(), k.reshape(bk * t, c), w.wk().t()).mul_(new org.bytedeco.pytorch.Scalar(1.0 / Math.sqrt(d)));
        Tensor kh = kp.view(bk, t, h, d).permute(2, 3, 0, 1).reshape(h, d, bk * t);                 // [H, d, Bk*T]
        Tensor a = torch.bmm(w.wq().view(h, d, c).transpose(1, 2), kh)                              // [H, C, Bk*T]
                .view(h, c, bk, t).permute(1, 2, 0, 3).reshape(c, bk * ht);                          // [C, (n, h, t)]
        Tensor cb = torch.bmm(w.bq().view(h, 1, d), kh).view(h, bk, t).permute(1, 0, 2).reshape(bk * ht);
        Tensor vp = torch.addmm(w.bv(), v.reshape(bk * t, c), w.wv().t());                          // [Bk*T, inner]
        Tensor vh = vp.view(bk, t, h, d).permute(2, 0, 1, 3).reshape(h, bk * t, d);                 // [H, Bk*T, d]
        Tensor bm = torch.bmm(vh, w.wo().view(w.wo().size(0), h, d).permute(1, 2, 0))               // [H, Bk*T, Co]
                .view(h, bk, t, w.wo().size(0)).permute(1, 0, 2, 3).reshape(bk, ht, w.wo().size(0)); // [Bk, H*T, Co]
        long co = w.wo().size(0);
        if (bk == 1) {
            Tensor s = torch.addmm(cb, q.reshape(bq * lq, c), a);                                    // [Bq*Lq, H*T]
            Tensor p = softmaxGroups(s.view(bq * lq, h, t), q);
            return torch.addmm(w.bo(), p.view(bq * lq, ht), bm.select(0, 0)).view(bq, lq, co);
        }
        Tensor pt;
        if (bq == 1) {
            Tensor s = torch.addmm(cb, q.reshape(lq, c), a);                                         // [Lq, N*H*T]
            pt = softmaxGroups(s.view(lq, n, h, t), q).view(lq, n, ht).transpose(0, 1);             // [N, Lq, H*T] view
        } else {
            Tensor s = torch.baddbmm(cb.view(n, 1, ht), q, a.view(c, n, ht).permute(1, 0, 2));       // [N, Lq, H*T]
            pt = softmaxGroups(s.view(n, lq, h, t), q).view(n, lq, ht);
        }
        return torch.baddbmm(w.bo(), pt, bm);                                                       // [N, Lq, Co]
    }

    /** Softmax over the last dim in fp32, back to q's dtype (as upstream's attention). */
    private static Tensor softmaxGroups(Tensor s, Tensor like) {
        Tensor p = org.calico.tensor.T.softmax(s, -1, org.calico.tensor.DType.F32);
        return p.scalar_type().value == like.scalar_type().value ? p : p.to(like.scalar_type());
    }

    @Override
    public Tensor upscale(Tensor src, UpscaleWeights w) {
        SamMaskDecodingOp.validateUpscale(src, null, w);
        NativeOps.requireKernelDtype(Ops.SAM_MASK_DECODING, src);
        Tensor[] wt = gemmWeights(w);
        return NativeOps.samUpscaleGelu(stage1(src, w, wt), w.b2());
    }

    @Override
    public Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w) {
        SamMaskDecodingOp.validateUpscale(src, hyperIn, w);
        NativeOps.requireKernelDtype(Ops.SAM_MASK_DECODING, src);
        Tensor[] wt = gemmWeights(w);
        return NativeOps.samHyperMasks(stage1(src, w, wt), w.b2(), hyperIn.contiguous());
    }

    /** ConvTranspose2d weights [in, out, 2, 2] -> GEMM weights [4*out, in], rows (a, b, o). */
    private Tensor[] gemmWeights(UpscaleWeights w) {
        return convWeights.get(new Tensor[] {w.w1(), w.w2()}, src -> new Tensor[] {
                src[0].permute(2, 3, 1, 0).reshape(4 * src[0].size(1), src[0].size(0)).contiguous(),
                src[1].permute(2, 3, 1, 0).reshape(4 * src[1].size(1), src[1].size(0)).contiguous()});
    }

    /** Both GEMMs and the first fused kernel: returns y2 [N, 4*C2, 2h, 2w] for the second kernel. */
    private static Tensor stage1(Tensor src, UpscaleWeights w, Tensor[] wt) {
        long n = src.size(0), cin = src.size(1), h = src.size(2), ww = src.size(3);
        long c1 = w.w1().size(1);
        Tensor y1 = torch.matmul(wt[0], src.reshape(n, cin, h * ww)).view(n, 4 * c1, h, ww);
        Tensor z = NativeOps.samUpscaleLnGelu(y1, w.b1(), w.lnW(), w.lnB(), w.eps());
        return torch.matmul(wt[1], z.view(n, c1, 4 * h * ww)).view(n, 4 * w.w2().size(1), 2 * h, 2 * ww);
    }
}
