package org.calico.vision;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Hyper-parameters of the EVA-CLIP / BLIP-2 vision transformer ({@link EvaVit}).
 *
 * @param imageSize   input side in pixels (square input; the absolute position embedding has
 *                    {@code 1 + (imageSize/patchSize)^2} rows)
 * @param patchSize   patch side (Conv2d kernel = stride)
 * @param width       embedding width C
 * @param depth       number of transformer blocks
 * @param heads       attention heads (head dim = width / heads)
 * @param mlpHidden   hidden width of the MLP (fc1: C -> mlpHidden, fc2: mlpHidden -> C)
 * @param eps         LayerNorm epsilon inside the blocks (LAVIS {@code eva_vit.py}: {@code partial(nn.LayerNorm, eps=1e-6)})
 * @param lnVisionEps epsilon of the final {@code ln_vision} / HF {@code post_layernorm}: LAVIS {@code blip2.py} builds
 *                    {@code LayerNorm(1408)} with torch's default 1e-5; HF uses {@code layer_norm_eps}
 * @param qkvBias     whether the qkv projection has a bias (EVA: (q_bias, 0, v_bias))
 */
public record EvaVitConfig(int imageSize, int patchSize, int width, int depth, int heads, int mlpHidden, double eps,
                           double lnVisionEps, boolean qkvBias) {
    public EvaVitConfig {
        Json.check(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                "EvaVitConfig: imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
        Json.check(width > 0 && heads > 0 && width % heads == 0, "EvaVitConfig: width " + width + " must be divisible by heads " + heads);
        Json.check(depth > 0 && mlpHidden > 0, "EvaVitConfig: depth and mlpHidden must be positive");
    }

    /**
     * BLIP-2's EVA-CLIP-g (LAVIS {@code eva_vit.py::create_eva_vit_g}): 224 px, patch 14 (257 tokens), width 1408,
     * 39 of EVA-CLIP-g's 40 blocks, 16 heads of 88, MLP int(1408 * 4.3637) = 6144, eps 1e-6, ln_vision eps 1e-5.
     */
    public static EvaVitConfig blip2EvaG() { return new EvaVitConfig(224, 14, 1408, 39, 16, 6144, 1e-6, 1e-5, true); }

    /** Small encoder for the synthetic-data model: 32 px, patch 8 (17 tokens), width 64, 2 blocks, 4 heads, MLP 256. */
    public static EvaVitConfig tiny() { return new EvaVitConfig(32, 8, 64, 2, 4, 256, 1e-6, 1e-5, true); }

    /** From a transformers {@code Blip2VisionConfig} / {@code InstructBlipVisionConfig} dict ({@code vision_config}). */
    public static EvaVitConfig fromHfJson(JsonNode n) {
        Json.requireGelu(n, "hidden_act");
        double eps = Json.d(n, "layer_norm_eps", 1e-6);
        return new EvaVitConfig(Json.i(n, "image_size", 224), Json.i(n, "patch_size", 14), Json.i(n, "hidden_size", 1408),
                Json.i(n, "num_hidden_layers", 39), Json.i(n, "num_attention_heads", 16), Json.i(n, "intermediate_size", 6144),
                eps, eps, Json.b(n, "qkv_bias", true));
    }

    public int gridSize() { return imageSize / patchSize; }

    /** CLS + patches. */
    public int numTokens() { return 1 + gridSize() * gridSize(); }

    public int headDim() { return width / heads; }
}
