package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * The hot parts of SAM's mask decoder (segment-anything {@code modeling/transformer.py}, {@code mask_decoder.py}),
 * for N prompts on one image embedding:
 * <ul>
 *   <li>{@link #attention}: the TwoWayTransformer {@code Attention} block (q/k/v projections to the internal width,
 *       H = 8 heads, softmax(q k^T / sqrt(d)) v, out_proj). Token->image: q = tokens [N, T, 256], k/v = image
 *       [N or 1, 4096, 256]; image->token: q = image [N or 1, 4096, 256], k/v = tokens [N, T, 256]. An input with batch
 *       1 is shared by every prompt (text prompts share the image keys in the first block): its projection runs once
 *       and the kernel reads it with batch stride 0.</li>
 *   <li>{@link #upscale}: {@code output_upscaling} = ConvTranspose2d(256->64, k2, s2) -> LayerNorm2d(64, eps) -> GELU
 *       -> ConvTranspose2d(64->32, k2, s2) -> GELU, [N, 256, h, w] -> [N, 32, 4h, 4w].</li>
 *   <li>{@link #masks}: {@code masks = hyper_in @ upscaled.view(N, 32, 16hw)} -> [N, M, 4h, 4w] (the native path never
 *       materialises the upscaled tensor: the last GELU is fused into the product).</li>
 * </ul>
 * Implementations: {@link TorchSamMaskDecoding} (upstream composite, autograd), {@link NativeSamMaskDecoding};
 * {@link Ops#samMaskDecoding()}.
 */
public interface SamMaskDecodingOp extends AutoCloseable {
    /**
     * Attention weights, upstream shapes: q/k/v_proj.weight [I, C], bias [I]; out_proj.weight [C, I], bias [C];
     * heads (SAM: C = 256, I = 256 self-attention or 128 cross-attention, heads 8).
     */
    record AttentionWeights(Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo,
                            int heads) {}

    /**
     * output_upscaling weights: {@code output_upscaling.0} ConvTranspose2d weight [Cin, C1, 2, 2] + bias [C1],
     * {@code .1} LayerNorm2d weight/bias [C1], {@code .3} ConvTranspose2d weight [C1, C2, 2, 2] + bias [C2]; eps 1e-6.
     */
    record UpscaleWeights(Tensor w1, Tensor b1, Tensor lnW, Tensor lnB, Tensor w2, Tensor b2, double eps) {
        public UpscaleWeights(Tensor w1, Tensor b1, Tensor lnW, Tensor lnB, Tensor w2, Tensor b2) {
            this(w1, b1, lnW, lnB, w2, b2, 1e-6);
        }
    }

    /** q [Bq, Lq, C], k [Bk, Lk, C], v [Bv, Lk, C] with each batch 1 or N -> [N, Lq, C] (before the residual). */
    Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w);

    /** src [N, Cin, h, w] (any strides; SAM's transformer output is channels-last) -> upscaled [N, C2, 4h, 4w]. */
    Tensor upscale(Tensor src, UpscaleWeights w);

    /** src [N, Cin, h, w], hyperIn [N, M, C2] -> masks [N, M, 4h, 4w] = hyperIn @ upscale(src). */
    Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w);

    @Override default void close() {}

    static void validateAttention(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
        final String op = Ops.SAM_MASK_DECODING + ".attention";
        Checks.notNull(op, "weights", w);
        Checks.shape(op, "q", q, -1, -1, -1);
        Checks.floating(op, "q", q);
        long c = q.size(2);
        Checks.shape(op, "k", k, -1, -1, c);
        Checks.shape(op, "v", v, -1, k.size(1), c);
        long n = Math.max(q.size(0), Math.max(k.size(0), v.size(0)));
        for (Tensor t : new Tensor[] {q, k, v})
            if (t.size(0) != n && t.size(0) != 1)
                throw new KernelException(op + ": batch sizes " + q.size(0) + "/" + k.size(0) + "/" + v.size(0)
                        + " of q/k/v must each be 1 or " + n);
        Checks.shape(op, "q_proj.weight", w.wq(), -1, c);
        long inner = w.wq().size(0);
        Checks.heads(op, inner, w.heads());
        Checks.shape(op, "q_proj.bias", w.bq(), inner);
        Checks.shape(op, "k_proj.weight", w.wk(), inner, c);
        Checks.shape(op, "k_proj.bias", w.bk(), inner);
        Checks.shape(op, "v_proj.weight", w.wv(), inner, c);
        Checks.shape(op, "v_proj.bias", w.bv(), inner);
        Checks.shape(op, "out_proj.weight", w.wo(), -1, inner);
        Checks.shape(op, "out_proj.bias", w.bo(), w.wo().size(0));
        Checks.like(op, q, "k", k);
        Checks.like(op, q, "v", v);
        for (Tensor t : new Tensor[] {w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv(), w.wo(), w.bo()}) Checks.like(op, q, "weight", t);
    }

    static void validateUpscale(Tensor src, Tensor hyperIn, UpscaleWeights w) {
        final String op = Ops.SAM_MASK_DECODING + (hyperIn == null ? ".upscale" : ".masks");
        Checks.notNull(op, "weights", w);
        Checks.shape(op, "src", src, -1, -1, -1, -1);
        Checks.floating(op, "src", src);
        long cin = src.size(1);
        Checks.shape(op, "output_upscaling.0.weight", w.w1(), cin, -1, 2, 2);
        long c1 = w.w1().size(1);
        Checks.shape(op, "output_upscaling.0.bias", w.b1(), c1);
        Checks.shape(op, "output_upscaling.1.weight", w.lnW(), c1);
        Checks.shape(op, "output_upscaling.1.bias", w.lnB(), c1);
        Checks.shape(op, "output_upscaling.3.weight", w.w2(), c1, -1, 2, 2);
        long c2 = w.w2().size(1);
        Checks.shape(op, "output_upscaling.3.bias", w.b2(), c2);
        if (!(w.eps() > 0)) throw new KernelException(op + ": LayerNorm2d eps must be > 0, got " + w.eps());
        for (Tensor t : new Tensor[] {w.w1(), w.b1(), w.lnW(), w.lnB(), w.w2(), w.b2()}) Checks.like(op, src, "weight", t);
        if (hyperIn != null) {
            Checks.shape(op, "hyper_in", hyperIn, src.size(0), -1, c2);
            Checks.like(op, src, "hyper_in", hyperIn);
        }
    }
}
