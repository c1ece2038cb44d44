package org.calico.sam;

/**
 * Constructor arguments of SAM's {@code MaskDecoder} and its {@code TwoWayTransformer}
 * ({@code segment_anything/modeling/mask_decoder.py}, {@code modeling/transformer.py}). Fixed by upstream: ReLU in the
 * transformer MLP, exact-erf GELU in the output upscaling, LayerNorm eps 1e-5 (torch default) in the transformer,
 * LayerNorm2d eps 1e-6 in the upscaling.
 *
 * @param transformerDim          channel dim C of the decoder (256; divisible by 8 for the upscaling)
 * @param depth                   two-way blocks (2)
 * @param mlpDim                  transformer MLP hidden dim (2048)
 * @param numHeads                attention heads (8)
 * @param attentionDownsampleRate cross-attention internal dim = C / rate (2)
 * @param numMultimaskOutputs     multimask outputs (3); the decoder has that many + 1 mask tokens
 * @param iouHeadDepth            layers of the IoU MLP (3)
 * @param iouHeadHiddenDim        hidden dim of the IoU MLP (256)
 */
public record MaskDecoderConfig(int transformerDim, int depth, int mlpDim, int numHeads, int attentionDownsampleRate,
                                int numMultimaskOutputs, int iouHeadDepth, int iouHeadHiddenDim) {
    public MaskDecoderConfig {
        if (transformerDim <= 0 || transformerDim % 8 != 0)
            throw new IllegalArgumentException("mask decoder: transformer_dim must be a positive multiple of 8 (upscaling to C/4 and C/8), got " + transformerDim);
        if (depth <= 0) throw new IllegalArgumentException("mask decoder: depth must be positive, got " + depth);
        if (mlpDim <= 0) throw new IllegalArgumentException("mask decoder: mlp_dim must be positive, got " + mlpDim);
        if (numHeads <= 0) throw new IllegalArgumentException("mask decoder: num_heads must be positive, got " + numHeads);
        if (attentionDownsampleRate <= 0 || transformerDim % attentionDownsampleRate != 0)
            throw new IllegalArgumentException("mask decoder: attention_downsample_rate " + attentionDownsampleRate + " must divide transformer_dim " + transformerDim);
        if (transformerDim % numHeads != 0 || (transformerDim / attentionDownsampleRate) % numHeads != 0)
            throw new IllegalArgumentException("mask decoder: num_heads " + numHeads + " must divide transformer_dim " + transformerDim
                    + " and the cross-attention dim " + transformerDim / attentionDownsampleRate);
        if (numMultimaskOutputs < 1) throw new IllegalArgumentException("mask decoder: num_multimask_outputs must be >= 1, got " + numMultimaskOutputs);
        if (iouHeadDepth < 1) throw new IllegalArgumentException("mask decoder: iou_head_depth must be >= 1, got " + iouHeadDepth);
        if (iouHeadHiddenDim <= 0) throw new IllegalArgumentException("mask decoder: iou_head_hidden_dim must be positive, got " + iouHeadHiddenDim);
    }

    /** The decoder of {@code build_sam.py} (all sizes): dim 256, depth 2, mlp 2048, 8 heads, 3 multimask outputs. */
    public static MaskDecoderConfig released() { return new MaskDecoderConfig(256, 2, 2048, 8, 2, 3, 3, 256); }

    public int numMaskTokens() { return numMultimaskOutputs + 1; }

    public long parameterCount() {
        long c = transformerDim, ci = c / attentionDownsampleRate, m = mlpDim, k = numMaskTokens();
        long self = 4 * (c * c + c);
        long cross = 3 * (c * ci + ci) + ci * c + c;
        long block = self + 2 * cross + (c * m + m + m * c + c) + 4 * 2 * c;
        long n = depth * block + cross + 2 * c;                  // layers, final attn, norm_final_attn
        n += c + k * c;                                          // iou_token, mask_tokens
        n += c * (c / 4) * 4 + c / 4 + 2 * (c / 4) + (c / 4) * (c / 8) * 4 + c / 8; // upscaling
        n += k * ((c * c + c) * 2 + c * (c / 8) + c / 8);        // hypernetwork MLPs (3 layers)
        long h = iouHeadHiddenDim;
        if (iouHeadDepth == 1) n += c * k + k;
        else n += (c * h + h) + (iouHeadDepth - 2) * (h * h + h) + (h * k + k);
        return n;
    }
}
