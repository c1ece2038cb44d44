package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Init;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The image encoder's {@code Attention} ({@code segment_anything/modeling/image_encoder.py}): multi-head self-attention
 * over an NHWC token grid with a fused {@code qkv} projection and the decomposed relative-position bias of MViTv2.
 *
 * <p>Parameters: {@code qkv.weight [3D, D]}, {@code qkv.bias [3D]}, {@code proj.weight [D, D]}, {@code proj.bias [D]},
 * {@code rel_pos_h [2*size-1, D/heads]}, {@code rel_pos_w [2*size-1, D/heads]} (size = window size, or the full grid
 * for global blocks; zero-initialised as upstream's {@code rel_pos_zero_init}).
 *
 * <p>Computation (upstream): {@code logits = (q * head_dim^-0.5) k^T + bias}, where {@code bias[(h,w),(kh,kw)] =
 * sum_c q[h,w,c] Rh[h,kh,c] + sum_c q[h,w,c] Rw[w,kw,c]} uses the <em>unscaled</em> q; softmax; {@code @ v}; proj.
 * Here the bias is an additive mask of {@code scaled_dot_product_attention} (the same function with fewer passes over
 * the logits); for global attention it is built per block of query rows ({@link #attendRelPos}).
 */
public final class RelPosAttention extends Module {
    public final int dim, numHeads, headDim, inputSize;
    public final boolean useRelPos;
    public final Linear qkv, proj;
    public final Param relPosH, relPosW;
    private final double scale;

    /**
     * @param inputSize the token grid side this block attends over (window size, or S/p for global attention); it sizes
     *                  the relative-position tables as 2*inputSize-1
     */
    public RelPosAttention(int dim, int numHeads, boolean qkvBias, boolean useRelPos, int inputSize, DType dtype, Dev dev) {
        super(dtype, dev);
        this.dim = dim;
        this.numHeads = numHeads;
        this.headDim = dim / numHeads;
        this.inputSize = inputSize;
        this.useRelPos = useRelPos;
        this.scale = Math.pow(headDim, -0.5);
        this.qkv = child("qkv", new Linear(dim, 3L * dim, qkvBias, dtype, dev));
        this.proj = child("proj", new Linear(dim, dim, true, dtype, dev));
        if (useRelPos) {
            this.relPosH = param("rel_pos_h", Init.ZEROS, 2L * inputSize - 1, headDim);
            this.relPosW = param("rel_pos_w", Init.ZEROS, 2L * inputSize - 1, headDim);
        } else {
            this.relPosH = null;
            this.relPosW = null;
        }
    }

    /** x [B, H, W, D] -> [B, H, W, D]. */
    public Tensor forward(Tensor x) {
        requireReady();
        long b = x.size(0), h = x.size(1), w = x.size(2);
        Tensor qkvT = qkv.forward(x).reshape(b, h * w, 3, numHeads, headDim).permute(2, 0, 3, 1, 4); // [3, B, nh, HW, hd]
        Tensor q = qkvT.select(0, 0), k = qkvT.select(0, 1), v = qkvT.select(0, 2);
        Tensor o = useRelPos ? attendRelPos(q, k, v, h, w) : attend(q, k, v, null);                   // [B, nh, HW, hd]
        o = o.permute(0, 2, 1, 3).reshape(b, h, w, dim);
        return proj.forward(o);
    }

    /** Bias tensors up to this size are built whole; larger ones (global attention) are built per block of query rows. */
    static final long MAX_BIAS_BYTES = 64L << 20;
    /** Target size of one bias block when chunking (a few MB, so it is still in cache when the attention reads it). */
    static final long CHUNK_BIAS_BYTES = 16L << 20;

    /**
     * Attention with the decomposed relative-position bias. The bias of global attention is [B, nh, HW, HW] (805 MB for
     * ViT-B at 1024 px); it is built and consumed one block of query rows at a time, which gives the same numbers without
     * materialising the whole matrix. q, k, v [B, nh, H*W, hd] -> [B, nh, H*W, hd].
     */
    public Tensor attendRelPos(Tensor q, Tensor k, Tensor v, long h, long w) {
        return attendRelPos(q, k, v, h, w, MAX_BIAS_BYTES, CHUNK_BIAS_BYTES);
    }

    Tensor attendRelPos(Tensor q, Tensor k, Tensor v, long h, long w, long maxBiasBytes, long chunkBiasBytes) {
        long b = q.size(0), nh = q.size(1), l = h * w;
        long elem = q.element_size();
        long rowBytes = b * nh * w * l * elem;                         // bias bytes of one query row
        if (rowBytes * h <= maxBiasBytes) return attend(q, k, v, relPosBias(q, h, w));
        Tensor[] rel = relPosTerms(q, h, w);                           // [B*nh, H, W, H], [B*nh, H, W, W]
        long rows = Math.max(1, Math.min(h, chunkBiasBytes / rowBytes));
        java.util.List<Tensor> outs = new java.util.ArrayList<>();
        for (long r0 = 0; r0 < h; r0 += rows) {
            long r = Math.min(rows, h - r0), start = r0;
            outs.add(T.scoped(() -> {                                  // the bias block is freed right after use
                Tensor bias = rel[0].narrow(1, start, r).unsqueeze(4).add(rel[1].narrow(1, start, r).unsqueeze(3)).reshape(b, nh, r * w, l);
                return attend(q.narrow(2, start * w, r * w), k, v, bias);
            }));
        }
        return outs.size() == 1 ? outs.get(0) : T.cat(2, outs);
    }

    /**
     * The attention core: softmax(q k^T * head_dim^-0.5 + bias) v. q, k, v [B, nh, L, hd], bias [B, nh, L, L] or null
     * -> [B, nh, L, hd].
     */
    public Tensor attend(Tensor q, Tensor k, Tensor v, Tensor bias) {
        return T.sdpa(q, k, v, bias, scale, false);
    }

    /**
     * Decomposed relative-position bias ({@code add_decomposed_rel_pos}) from the unscaled q [B, nh, H*W, hd]
     * -> [B, nh, H*W, H*W], entry ((h,w),(kh,kw)) = q[h,w]·Rh[h,kh] + q[h,w]·Rw[w,kw].
     */
    public Tensor relPosBias(Tensor q, long h, long w) {
        Tensor[] rel = relPosTerms(q, h, w);
        return rel[0].unsqueeze(4).add(rel[1].unsqueeze(3)).reshape(q.size(0), q.size(1), h * w, h * w);
    }

    /**
     * The two decomposed terms from the unscaled q [B, nh, H*W, hd]: {@code rel_h = einsum("bhwc,hkc->bhwk", q, Rh)}
     * [B*nh, H, W, H] and {@code rel_w = einsum("bhwc,wkc->bhwk", q, Rw)} [B*nh, H, W, W].
     */
    public Tensor[] relPosTerms(Tensor q, long h, long w) {
        long b = q.size(0), nh = q.size(1);
        Tensor rh = relPos(h, h, relPosH.t());                       // [H, H, hd]
        Tensor rw = relPos(w, w, relPosW.t());                       // [W, W, hd]
        Tensor rq = q.reshape(b * nh, h, w, headDim);
        return new Tensor[] {T.einsum("bhwc,hkc->bhwk", rq, rh), T.einsum("bhwc,wkc->bhwk", rq, rw)};
    }

    /**
     * {@code get_rel_pos(q_size, k_size, rel_pos)}: the table [L, C] (linearly resized to 2*max(q,k)-1 rows when its
     * length differs, as F.interpolate(mode="linear")) gathered at the relative coordinates -> [q, k, C].
     */
    public static Tensor relPos(long qSize, long kSize, Tensor table) {
        long maxRel = 2 * Math.max(qSize, kSize) - 1;
        Tensor resized = table;
        if (table.size(0) != maxRel) {
            // F.interpolate(t.reshape(1, L, -1).permute(0, 2, 1), size=maxRel, mode="linear"): [1, C, L] -> [1, C, maxRel];
            // run as bilinear on [1, C, 1, L] (the height axis 1 -> 1 has weights exactly (1, 0)).
            Tensor t = table.reshape(1, table.size(0), -1).permute(0, 2, 1).unsqueeze(2);
            resized = T.resizeBilinear(t, 1, maxRel, false).squeeze(2).reshape(-1, maxRel).permute(1, 0);
        }
        // q_coords * max(k/q, 1) - k_coords * max(q/k, 1) + (k-1) * max(q/k, 1), in float32 as upstream, then .long()
        float qRatio = (float) Math.max((double) kSize / qSize, 1.0), kRatio = (float) Math.max((double) qSize / kSize, 1.0);
        float offset = (float) ((kSize - 1) * Math.max((double) qSize / kSize, 1.0));
        long[] idx = new long[(int) (qSize * kSize)];
        for (int i = 0; i < qSize; i++)
            for (int j = 0; j < kSize; j++) {
                float rel = (i * qRatio - j * kRatio) + offset;
                idx[(int) (i * kSize + j)] = (long) rel;
            }
        return T.indexSelect(resized, 0, T.fromLongs(idx, idx.length).to(resized.device(), org.bytedeco.pytorch.global.torch.ScalarType.Long))
                .reshape(qSize, kSize, resized.size(1));
    }
}
