package org.calico.vision;

/**
 * Configuration of the Correspondence Extraction Module ({@link Cem}); spec section 7 decisions.
 *
 * @param evaWidth    width C of the EVA features (query side and output), 1408
 * @param dinoWidth   width of the DINOv2 descriptors (key/value input), 1024 for ViT-L
 * @param heads       attention heads in EVA width (1408 / 16 = 88 per head)
 * @param dinoLayer   DINOv2 block whose descriptors are used (0-based; negative counts from the end; -1 = last)
 * @param facet       {@link DinoFacet#TOKEN} (block output) or {@link DinoFacet#KEY} (attention keys, Amir et al.)
 * @param dinoFinalNorm apply DINOv2's final {@code norm} to TOKEN descriptors (ignored for KEY)
 * @param eps         epsilon of CEM's two input LayerNorms (a CALICO decision: 1e-6 like EVA and DINOv2)
 */
public record CemConfig(int evaWidth, int dinoWidth, int heads, int dinoLayer, DinoFacet facet, boolean dinoFinalNorm, double eps) {
    public CemConfig {
        Json.check(evaWidth > 0 && heads > 0 && evaWidth % heads == 0, "CemConfig: evaWidth " + evaWidth + " must be divisible by heads " + heads);
        Json.check(dinoWidth > 0, "CemConfig: dinoWidth must be positive");
        Json.check(facet != null, "CemConfig: facet is required");
    }

    /** CALICO (spec section 7): EVA-CLIP-g 1408 wide, 16 heads, DINOv2-L/14 (1024), last layer, tokens with final norm. */
    public static CemConfig calico() { return new CemConfig(1408, 1024, 16, -1, DinoFacet.TOKEN, true, 1e-6); }

    /** For the tiny synthetic-data model: 64 wide on both sides, 4 heads, last layer tokens. */
    public static CemConfig tiny() { return new CemConfig(64, 64, 4, -1, DinoFacet.TOKEN, true, 1e-6); }

    public CemConfig withDino(int layer, DinoFacet f) { return new CemConfig(evaWidth, dinoWidth, heads, layer, f, dinoFinalNorm, eps); }
}
