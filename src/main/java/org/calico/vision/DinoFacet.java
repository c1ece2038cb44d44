package org.calico.vision;

/**
 * Which DINOv2 descriptor a block yields (Amir et al., "Deep ViT Features as Dense Visual Descriptors",
 * {@code ShirAmir/dino-vit-features/extractor.py}).
 */
public enum DinoFacet {
    /** The block output (optionally through the final norm). Channel order: the model's. */
    TOKEN,
    /**
     * The block's attention keys, recomputed from {@code norm1(x)}: {@code qkv(norm1 x)} reshaped (B, T, 3, h, d),
     * index 1, giving [B, h, T, d]; flattened as Amir's {@code x.permute(0, 2, 3, 1).flatten(-2, -1)}, so channel
     * {@code c = di * h + hi} (head index fastest).
     */
    KEY;

    public static DinoFacet parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "token" -> TOKEN;
            case "key" -> KEY;
            default -> throw new IllegalArgumentException("unknown DINO facet '" + s + "' (use token or key)");
        };
    }
}
