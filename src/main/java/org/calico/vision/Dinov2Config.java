package org.calico.vision;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Hyper-parameters of DINOv2 (with registers) ({@link Dinov2}).
 *
 * @param imageSize          the training image side that fixes the position-embedding grid
 *                           ({@code (imageSize/patchSize)^2 + 1} rows; 518 -> 37x37 for the hub models)
 * @param patchSize          patch side (14)
 * @param width              embedding width C
 * @param depth              number of blocks
 * @param heads              attention heads
 * @param mlpHidden          MLP hidden width ({@code int(C * mlp_ratio)})
 * @param numRegisters       register tokens (4 for the {@code _reg} models, 0 without)
 * @param eps                LayerNorm epsilon (1e-6: {@code partial(nn.LayerNorm, eps=1e-6)} in {@code vision_transformer.py})
 * @param layerScale         LayerScale present ({@code init_values} not None; HF: always)
 * @param interpolateOffset  0.0 for the {@code _reg} models (explicit output size); 0.1 for the original non-register
 *                           models (scale_factor {@code (n + 0.1) / M}, see {@link PosEmbedInterpolation})
 * @param interpolateAntialias antialiased bicubic position interpolation (true for {@code _reg} and HF)
 */
public record Dinov2Config(int imageSize, int patchSize, int width, int depth, int heads, int mlpHidden, int numRegisters,
                           double eps, boolean layerScale, double interpolateOffset, boolean interpolateAntialias) {
    public Dinov2Config {
        Json.check(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                "Dinov2Config: imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
        Json.check(width > 0 && heads > 0 && width % heads == 0, "Dinov2Config: width " + width + " must be divisible by heads " + heads);
        Json.check(depth > 0 && mlpHidden > 0 && numRegisters >= 0, "Dinov2Config: depth, mlpHidden must be positive, numRegisters >= 0");
        Json.check(interpolateOffset >= 0, "Dinov2Config: interpolateOffset must be >= 0");
    }

    /** {@code dinov2_vitl14_reg} ({@code hub/backbones.py}): 518 px (37x37 grid), patch 14, 1024, 24 blocks, 16 heads, MLP 4096, 4 registers, LayerScale, offset 0, antialias. */
    public static Dinov2Config vitL14Reg() { return new Dinov2Config(518, 14, 1024, 24, 16, 4096, 4, 1e-6, true, 0.0, true); }

    /** {@code dinov2_vitb14_reg}: 768 wide, 12 blocks, 12 heads. */
    public static Dinov2Config vitB14Reg() { return new Dinov2Config(518, 14, 768, 12, 12, 3072, 4, 1e-6, true, 0.0, true); }

    /** {@code dinov2_vits14_reg}: 384 wide, 12 blocks, 6 heads. */
    public static Dinov2Config vitS14Reg() { return new Dinov2Config(518, 14, 384, 12, 6, 1536, 4, 1e-6, true, 0.0, true); }

    /** Small model for the synthetic-data CALICO: 32 px (4x4 grid of patch 8), 64 wide, 2 blocks, 4 heads, 4 registers. */
    public static Dinov2Config tiny() { return new Dinov2Config(32, 8, 64, 2, 4, 256, 4, 1e-6, true, 0.0, true); }

    /** From a transformers {@code Dinov2WithRegistersConfig} dict. */
    public static Dinov2Config fromHfJson(JsonNode n) {
        Json.requireGelu(n, "hidden_act");
        if (Json.b(n, "use_swiglu_ffn", false)) throw new IllegalArgumentException("config: use_swiglu_ffn=true (ViT-g) is not supported");
        if (!Json.b(n, "qkv_bias", true)) throw new IllegalArgumentException("config: qkv_bias=false is not supported");
        int w = Json.i(n, "hidden_size", 768);
        double ratio = Json.d(n, "mlp_ratio", 4);
        return new Dinov2Config(Json.i(n, "image_size", 518), Json.i(n, "patch_size", 14), w, Json.i(n, "num_hidden_layers", 12),
                Json.i(n, "num_attention_heads", 12), (int) (w * ratio), Json.i(n, "num_register_tokens", 4),
                Json.d(n, "layer_norm_eps", 1e-6), true, 0.0, true);
    }

    /** From the constructor arguments of the original {@code DinoVisionTransformer} (as in the parity fixtures). */
    public static Dinov2Config fromOriginalJson(JsonNode n) {
        String ffn = Json.s(n, "ffn_layer", "mlp");
        if (!ffn.equals("mlp")) throw new IllegalArgumentException("config: ffn_layer '" + ffn + "' is not supported (only 'mlp')");
        Json.requireGelu(n, "act_layer");
        for (String k : new String[] {"qkv_bias", "ffn_bias", "proj_bias"})
            if (!Json.b(n, k, true)) throw new IllegalArgumentException("config: " + k + "=false is not supported");
        if (Json.i(n, "block_chunks", 0) != 0) throw new IllegalArgumentException("config: block_chunks != 0 (chunked key names) is not supported");
        if (Json.i(n, "in_chans", 3) != 3) throw new IllegalArgumentException("config: in_chans must be 3");
        int w = Json.i(n, "embed_dim", 768);
        JsonNode iv = n.get("init_values");
        boolean ls = iv != null && !iv.isNull();
        return new Dinov2Config(Json.i(n, "img_size", 224), Json.i(n, "patch_size", 16), w, Json.i(n, "depth", 12),
                Json.i(n, "num_heads", 12), (int) (w * Json.d(n, "mlp_ratio", 4.0)), Json.i(n, "num_register_tokens", 0),
                1e-6, ls, Json.d(n, "interpolate_offset", 0.1), Json.b(n, "interpolate_antialias", false));
    }

    public int gridSize() { return imageSize / patchSize; }

    public int headDim() { return width / heads; }
}
