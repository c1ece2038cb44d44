package org.calico.sam;

import java.util.List;

/**
 * Constructor arguments of SAM's {@code ImageEncoderViT} ({@code segment_anything/modeling/image_encoder.py}), under
 * the upstream meanings. {@code layerNormEps} is the eps of the ViT blocks' LayerNorms: {@code build_sam.py} passes
 * {@code partial(nn.LayerNorm, eps=1e-6)} for every real model (the bare class default would be 1e-5). The neck's
 * LayerNorm2d always uses 1e-6 ({@code modeling/common.py}). The activation is exact-erf GELU.
 *
 * @param imgSize           square input size S (1024 for the released models)
 * @param patchSize         patch size p; the token grid is S/p x S/p
 * @param inChans           input channels (3)
 * @param embedDim          ViT width D
 * @param depth             number of blocks
 * @param numHeads          attention heads (D must be divisible by it)
 * @param mlpRatio          MLP hidden = int(D * mlpRatio)
 * @param outChans          neck output channels (the prompt embedding dim, 256)
 * @param qkvBias           bias on the fused qkv projection
 * @param useAbsPos         learned absolute {@code pos_embed [1, S/p, S/p, D]}
 * @param useRelPos         decomposed relative-position bias ({@code rel_pos_h}, {@code rel_pos_w})
 * @param windowSize        window size of the non-global blocks (0 = all global)
 * @param globalAttnIndexes blocks that use global attention
 * @param layerNormEps      eps of the blocks' LayerNorms
 */
public record ImageEncoderConfig(int imgSize, int patchSize, int inChans, int embedDim, int depth, int numHeads,
                                 double mlpRatio, int outChans, boolean qkvBias, boolean useAbsPos, boolean useRelPos,
                                 int windowSize, List<Integer> globalAttnIndexes, double layerNormEps) {

    public ImageEncoderConfig {
        globalAttnIndexes = List.copyOf(globalAttnIndexes);
        positive("img_size", imgSize);
        positive("patch_size", patchSize);
        positive("in_chans", inChans);
        positive("embed_dim", embedDim);
        positive("depth", depth);
        positive("num_heads", numHeads);
        positive("out_chans", outChans);
        if (imgSize % patchSize != 0)
            throw new IllegalArgumentException("image encoder: img_size " + imgSize + " is not a multiple of patch_size " + patchSize);
        if (embedDim % numHeads != 0)
            throw new IllegalArgumentException("image encoder: embed_dim " + embedDim + " is not divisible by num_heads " + numHeads);
        if (!(mlpRatio > 0)) throw new IllegalArgumentException("image encoder: mlp_ratio must be positive, got " + mlpRatio);
        if (windowSize < 0) throw new IllegalArgumentException("image encoder: window_size must be >= 0, got " + windowSize);
        if (!(layerNormEps > 0)) throw new IllegalArgumentException("image encoder: LayerNorm eps must be positive, got " + layerNormEps);
        for (int i : globalAttnIndexes)
            if (i < 0 || i >= depth)
                throw new IllegalArgumentException("image encoder: global_attn_indexes entry " + i + " is outside 0.." + (depth - 1));
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException("image encoder: " + name + " must be positive, got " + v);
    }

    /** Token grid side S/p (64 for the released models). */
    public int gridSize() { return imgSize / patchSize; }

    public int headDim() { return embedDim / numHeads; }

    /** {@code int(dim * mlp_ratio)} as upstream's {@code MLPBlock(mlp_dim=int(dim * mlp_ratio))}. */
    public int mlpDim() { return (int) (embedDim * mlpRatio); }

    /** Window size of block {@code i}: 0 for global blocks. */
    public int windowSizeOf(int block) { return globalAttnIndexes.contains(block) ? 0 : windowSize; }

    /** The ViT-B/L/H encoder of {@code build_sam.py}: 1024 input, patch 16, window 14, eps 1e-6, out 256. */
    static ImageEncoderConfig released(int embedDim, int depth, int numHeads, List<Integer> globalIdx) {
        return new ImageEncoderConfig(1024, 16, 3, embedDim, depth, numHeads, 4.0, 256, true, true, true, 14, globalIdx, 1e-6);
    }

    /** Number of parameters (computed from the shapes, no allocation). */
    public long parameterCount() {
        long d = embedDim, g = gridSize(), hd = headDim(), m = mlpDim();
        long n = d * inChans * patchSize * patchSize + d;            // patch_embed
        if (useAbsPos) n += g * g * d;
        for (int i = 0; i < depth; i++) {
            long size = windowSizeOf(i) == 0 ? g : windowSizeOf(i);
            n += 4 * d;                                              // norm1, norm2
            n += 3 * d * d + (qkvBias ? 3 * d : 0) + d * d + d;      // qkv, proj
            if (useRelPos) n += 2 * (2 * size - 1) * hd;
            n += d * m + m + m * d + d;                              // mlp
        }
        n += (long) outChans * d + 2L * outChans + (long) outChans * outChans * 9 + 2L * outChans; // neck
        return n;
    }
}
