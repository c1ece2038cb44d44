package org.calico.sam;

/**
 * Constructor arguments of SAM's {@code PromptEncoder} ({@code segment_anything/modeling/prompt_encoder.py}). The
 * mask-downscaling activation is exact-erf GELU (the upstream default, used by {@code build_sam.py}).
 *
 * @param embedDim        prompt embedding dim (256; equals the image encoder's out_chans and the decoder's dim)
 * @param embeddingH      image embedding height h (S/p)
 * @param embeddingW      image embedding width w
 * @param inputH          padded model input height S (the frame of point/box coordinates)
 * @param inputW          padded model input width S
 * @param maskInChans     hidden channels of the mask downscaling (16); the first conv has maskInChans/4
 */
public record PromptEncoderConfig(int embedDim, int embeddingH, int embeddingW, int inputH, int inputW, int maskInChans) {
    public PromptEncoderConfig {
        if (embedDim <= 0 || embedDim % 2 != 0)
            throw new IllegalArgumentException("prompt encoder: embed_dim must be positive and even (random-Fourier PE uses embed_dim/2 frequencies), got " + embedDim);
        if (embeddingH <= 0 || embeddingW <= 0)
            throw new IllegalArgumentException("prompt encoder: image_embedding_size must be positive, got " + embeddingH + "x" + embeddingW);
        if (inputH <= 0 || inputW <= 0)
            throw new IllegalArgumentException("prompt encoder: input_image_size must be positive, got " + inputH + "x" + inputW);
        if (maskInChans < 4 || maskInChans % 4 != 0)
            throw new IllegalArgumentException("prompt encoder: mask_in_chans must be a positive multiple of 4, got " + maskInChans);
    }

    /** Mask prompt size (4h x 4w; 256x256 for the released models). */
    public int maskInputH() { return 4 * embeddingH; }

    public int maskInputW() { return 4 * embeddingW; }

    public long parameterCount() {
        long d = embedDim, c4 = maskInChans / 4, c = maskInChans;
        long n = 0;                      // the gaussian matrix is a buffer
        n += 4 * d + d + d;              // point_embeddings, not_a_point_embed, no_mask_embed
        n += c4 * 4 + c4 + 2 * c4;       // conv 1->c/4 (2x2) + LN2d
        n += c * c4 * 4 + c + 2 * c;     // conv c/4->c (2x2) + LN2d
        n += d * c + d;                  // conv c->d (1x1)
        return n;
    }
}
