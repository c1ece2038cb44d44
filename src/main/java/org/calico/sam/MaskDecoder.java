package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.Ops;
import org.calico.kernels.SamMaskDecodingOp;
import org.calico.nn.Embedding;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code MaskDecoder} ({@code segment_anything/modeling/mask_decoder.py}): output tokens (IoU token + K mask
 * tokens) are concatenated with the sparse prompt tokens and run through the {@link TwoWayTransformer} against the image
 * embedding plus the dense prompt; the image tokens are upscaled 4x (ConvTranspose2x2 -> LayerNorm2d -> GELU ->
 * ConvTranspose2x2 -> GELU), each mask token goes through its hypernetwork MLP to C/8 weights, and the masks are the
 * per-pixel dot products; the IoU head predicts one score per mask token. {@code multimask=false} returns mask token 0,
 * {@code true} tokens 1..K-1.
 *
 * <p>State-dict names: {@code transformer.*}, {@code iou_token.weight [1, C]}, {@code mask_tokens.weight [K, C]},
 * {@code output_upscaling.0.{weight [C, C/4, 2, 2], bias}}, {@code output_upscaling.1.{weight,bias}} (LayerNorm2d),
 * {@code output_upscaling.3.{weight [C/4, C/8, 2, 2], bias}}, {@code output_hypernetworks_mlps.i.layers.{0,1,2}.*},
 * {@code iou_prediction_head.layers.*}.
 *
 * <p>Many prompts per image: upstream repeats the image embedding once per prompt ({@code repeat_interleave}); here a
 * prompt-independent image + dense embedding stays one [1, HW, C] tensor until the first image-to-token attention makes
 * it prompt-specific (same values, less work). The 2x2/stride-2 transposed convolutions run as matrix products on the
 * token-major layout with the sub-pixel offsets kept in the row order, and only the selected mask tokens' masks are
 * formed. The upscaling + hypernetwork product run through {@link Ops#samMaskDecoding(SamMaskDecodingOp)} (CALICO's
 * native kernels: ConvTranspose GEMMs, fused pixel shuffle + LayerNorm2d + GELU, and the last GELU fused into the
 * mask product) when no gradient is needed, else this class's LibTorch code ({@link #upscale} +
 * {@link #hypernetworkMasks}); the attention blocks dispatch in {@link DecoderAttention}.
 */
public final class MaskDecoder extends Module {
    /** Prompts per chunk in the upscaling/mask product (bounds the [N, 16HW, C/8] intermediate; results unchanged). */
    static final int UPSCALE_CHUNK = 8;

    public final MaskDecoderConfig config;
    public final TwoWayTransformer transformer;
    public final Embedding iouToken, maskTokens;
    public final ConvTranspose2d upscale0, upscale3;
    public final LayerNorm2d upscale1;
    public final List<SamMlp> hypernetworks;
    public final SamMlp iouHead;

    /** output_upscaling + hypernetwork product: native kernels, or this class's LibTorch code (autograd, torch). */
    private final SamMaskDecodingOp maskOp = Ops.samMaskDecoding(new SamMaskDecodingOp() {
        @Override public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
            throw new UnsupportedOperationException("the mask decoder's attention runs in DecoderAttention");
        }

        @Override public Tensor upscale(Tensor src, UpscaleWeights w) {
            long n = src.size(0), h = src.size(2), ww = src.size(3), c8 = upscale3.out;
            Tensor y = MaskDecoder.this.upscale(src.flatten(2, 3).transpose(1, 2), h, ww);          // [N, 16hw, C/8]
            return y.reshape(n, h, ww, 2, 2, 2, 2, c8).permute(0, 7, 1, 3, 5, 2, 4, 6).reshape(n, c8, 4 * h, 4 * ww);
        }

        @Override public Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w) {
            long h = src.size(2), ww = src.size(3);
            return hypernetworkMasks(hyperIn, MaskDecoder.this.upscale(src.flatten(2, 3).transpose(1, 2), h, ww), h, ww);
        }
    });

    public MaskDecoder(MaskDecoderConfig c) { this(c, DType.F32, Dev.CPU); }

    public MaskDecoder(MaskDecoderConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = c;
        int d = c.transformerDim();
        this.transformer = child("transformer", new TwoWayTransformer(c, dtype, dev));
        this.iouToken = child("iou_token", new Embedding(1, d, dtype, dev));
        this.maskTokens = child("mask_tokens", new Embedding(c.numMaskTokens(), d, dtype, dev));
        this.upscale0 = child("output_upscaling.0", new ConvTranspose2d(d, d / 4, 2, 2, dtype, dev));
        this.upscale1 = child("output_upscaling.1", new LayerNorm2d(d / 4, 1e-6, dtype, dev));
        this.upscale3 = child("output_upscaling.3", new ConvTranspose2d(d / 4, d / 8, 2, 2, dtype, dev));
        List<SamMlp> hs = new ArrayList<>();
        for (int i = 0; i < c.numMaskTokens(); i++) hs.add(new SamMlp(d, d, d / 8, 3, dtype, dev));
        this.hypernetworks = children("output_hypernetworks_mlps", hs);
        this.iouHead = child("iou_prediction_head", new SamMlp(d, c.iouHeadHiddenDim(), c.numMaskTokens(), c.iouHeadDepth(), dtype, dev));
    }

    /** Low-resolution mask logits [N, k, 4h, 4w] and predicted IoUs [N, k]. */
    public record Output(Tensor masks, Tensor iouPredictions) {}

    /** Upstream {@code forward(image_embeddings [1, C, h, w], image_pe, sparse, dense, multimask_output)}. */
    public Output forward(Tensor imageEmbeddings, Tensor imagePe, Tensor sparse, Tensor dense, boolean multimask) {
        return forward(imageEmbeddings, null, imagePe, sparse, dense, multimask);
    }

    /**
     * @param imageEmbeddings [B, C, h, w]
     * @param imageIndex      I64 [N]: which image each prompt decodes against; null means B == 1 (every prompt on the one
     *                        image, as upstream) or B == N (prompt i on image i)
     * @param imagePe         [1, C, h, w] ({@link PromptEncoder#densePe()})
     * @param sparse          [N, T, C] (T may be 0)
     * @param dense           [N or 1, C, h, w]
     * @param multimask       false: mask token 0 ([N, 1, ...]); true: tokens 1..K-1 ([N, K-1, ...])
     */
    public Output forward(Tensor imageEmbeddings, Tensor imageIndex, Tensor imagePe, Tensor sparse, Tensor dense, boolean multimask) {
        requireReady();
        int c = config.transformerDim();
        if (imageEmbeddings.dim() != 4 || imageEmbeddings.size(1) != c)
            throw new IllegalArgumentException("mask decoder: image embeddings must be [B, " + c + ", h, w], got " + T.shapeString(imageEmbeddings));
        long h = imageEmbeddings.size(2), w = imageEmbeddings.size(3), b = imageEmbeddings.size(0);
        if (sparse.dim() != 3 || sparse.size(2) != c)
            throw new IllegalArgumentException("mask decoder: sparse prompt embeddings must be [N, T, " + c + "], got " + T.shapeString(sparse));
        long n = sparse.size(0);
        if (n < 1) throw new IllegalArgumentException("mask decoder: no prompts (sparse embeddings " + T.shapeString(sparse) + ")");
        if (imagePe.dim() != 4 || imagePe.size(0) != 1 || imagePe.size(1) != c || imagePe.size(2) != h || imagePe.size(3) != w)
            throw new IllegalArgumentException("mask decoder: image PE must be [1, " + c + ", " + h + ", " + w + "], got " + T.shapeString(imagePe));
        if (dense.dim() != 4 || (dense.size(0) != n && dense.size(0) != 1) || dense.size(1) != c || dense.size(2) != h || dense.size(3) != w)
            throw new IllegalArgumentException("mask decoder: dense prompt embeddings must be [" + n + " or 1, " + c + ", " + h + ", " + w
                    + "], got " + T.shapeString(dense));

        // the image each prompt decodes against: one shared image (batch 1) when possible
        Tensor image;
        if (imageIndex == null) {
            if (b != 1 && b != n)
                throw new IllegalArgumentException("mask decoder: " + b + " image embeddings for " + n + " prompts; pass an image index per prompt");
            image = imageEmbeddings;
        } else {
            long[] idx = T.toLongs(imageIndex);
            if (idx.length != n) throw new IllegalArgumentException("mask decoder: image index has " + idx.length + " entries for " + n + " prompts");
            boolean same = true;
            for (long i : idx) {
                if (i < 0 || i >= b) throw new IllegalArgumentException("mask decoder: image index " + i + " outside 0.." + (b - 1));
                same &= i == idx[0];
            }
            image = same ? imageEmbeddings.narrow(0, idx[0], 1) : T.indexSelect(imageEmbeddings, 0, imageIndex.to(imageEmbeddings.device(), org.bytedeco.pytorch.global.torch.ScalarType.Long));
        }
        boolean denseShared = dense.size(0) == 1 || dense.stride(0) == 0;
        Tensor src = image.size(0) == 1 && denseShared ? image.add(dense.narrow(0, 0, 1)) : image.add(dense);  // [1 or N, C, h, w]
        Tensor srcTokens = src.flatten(2, 3).permute(0, 2, 1);                                             // [., HW, C]
        Tensor peTokens = imagePe.flatten(2, 3).permute(0, 2, 1);                                          // [1, HW, C]

        Tensor outputTokens = T.cat(0, iouToken.weight.t(), maskTokens.weight.t());                        // [1+K, C]
        Tensor tokens = T.cat(1, outputTokens.unsqueeze(0).expand(n, -1, -1), sparse.to(outputTokens.scalar_type()));
        TwoWayAttentionBlock.Output o = transformer.forward(srcTokens, peTokens, tokens);
        Tensor hs = o.queries(), keys = o.keys();                                                           // [N, T', C], [N|1, HW, C]

        int k = config.numMaskTokens();
        int first = multimask ? 1 : 0, count = multimask ? k - 1 : 1;
        List<Tensor> hyper = new ArrayList<>();
        for (int i = first; i < first + count; i++) hyper.add(hypernetworks.get(i).forward(hs.select(1, 1 + i)));
        Tensor hyperIn = T.stack(1, hyper);                                                                // [N, k, C/8]

        List<Tensor> masks = new ArrayList<>();
        for (long s = 0; s < n; s += UPSCALE_CHUNK) {
            long len = Math.min(UPSCALE_CHUNK, n - s);
            Tensor kc = keys.size(0) == 1 ? keys.expand(len, -1, -1) : keys.narrow(0, s, len), hc = hyperIn.narrow(0, s, len);
            masks.add(T.scoped(() -> masks(kc, hc, h, w)));                                                 // [., k, 4h, 4w]
        }
        Tensor lowRes = masks.size() == 1 ? masks.get(0) : T.cat(0, masks);
        Tensor iou = iouHead.forward(hs.select(1, 0)).narrow(1, first, count);                            // [N, k]
        return new Output(lowRes, iou);
    }

    /**
     * Upscaling + hypernetwork product through the op: tokens [B, h*w, C] (the transformer's image tokens),
     * hyperIn [B, k, C/8] -> masks [B, k, 4h, 4w]. Upstream's {@code src.transpose(1, 2).view(b, c, h, w)} is a view.
     */
    public Tensor masks(Tensor tokens, Tensor hyperIn, long h, long w) {
        requireReady();
        Tensor src = tokens.transpose(1, 2).reshape(tokens.size(0), tokens.size(2), h, w);
        return maskOp.masks(src, hyperIn, upscaleWeights());
    }

    /** The output_upscaling weights as the op takes them (LayerNorm2d eps from {@code output_upscaling.1}). */
    public SamMaskDecodingOp.UpscaleWeights upscaleWeights() {
        return new SamMaskDecodingOp.UpscaleWeights(upscale0.weight.t(), upscale0.bias.t(), upscale1.weight.t(), upscale1.bias.t(),
                upscale3.weight.t(), upscale3.bias.t(), upscale1.eps);
    }

    /** Releases the parameters and the op's cached weights. */
    @Override public void close() {
        maskOp.close();
        super.close();
    }

    @Override protected void onWeightsChanged() { maskOp.close(); }

    /**
     * {@code output_upscaling} on token-major image features: x [B, h*w, C] -> [B, 16*h*w, C/8], rows ordered
     * (i, j, a, b, a2, b2) for output pixel (4i + 2a + a2, 4j + 2b + b2); both GELUs applied. Each 2x2/stride-2
     * ConvTranspose2d is a linear map C_in -> 4*C_out per input pixel, the LayerNorm2d a LayerNorm over the channels.
     */
    public Tensor upscale(Tensor x, long h, long w) {
        long bsz = x.size(0), c4 = upscale0.out, c8 = upscale3.out;
        Tensor y = T.linear(x, convTransposeAsLinear(upscale0.weight.t()), tiledBias(upscale0.bias.t()));   // [B, HW, 4*C/4]
        y = T.gelu(upscale1.forwardChannelsLast(y.reshape(bsz, h * w * 4, c4)));
        y = T.linear(y, convTransposeAsLinear(upscale3.weight.t()), tiledBias(upscale3.bias.t()));          // [B, 4HW, 4*C/8]
        return T.gelu(y.reshape(bsz, h * w * 16, c8));
    }

    /**
     * Masks from the hypernetwork weights: hyperIn [B, k, C/8] and the upscaled features [B, 16*h*w, C/8] in
     * {@link #upscale}'s row order -> [B, k, 4h, 4w] (upstream {@code hyper_in @ upscaled.view(b, c, h*w)}).
     */
    public Tensor hypernetworkMasks(Tensor hyperIn, Tensor upscaled, long h, long w) {
        long bsz = hyperIn.size(0), k = hyperIn.size(1);
        Tensor m = T.matmul(hyperIn, upscaled.transpose(1, 2));                                            // [B, k, 16HW]
        return m.reshape(bsz, k, h, w, 2, 2, 2, 2).permute(0, 1, 2, 4, 6, 3, 5, 7).reshape(bsz, k, 4 * h, 4 * w);
    }

    /** ConvTranspose2d weight [in, out, 2, 2] -> Linear weight [4*out, in] with rows ordered (a, b, out). */
    private static Tensor convTransposeAsLinear(Tensor w) {
        return w.permute(2, 3, 1, 0).reshape(4 * w.size(1), w.size(0));
    }

    /** bias [out] -> [4*out] repeated per sub-pixel (a, b). */
    private static Tensor tiledBias(Tensor b) {
        return b.unsqueeze(0).expand(4, -1).reshape(4 * b.size(0));
    }
}
