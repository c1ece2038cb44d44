package org.calico.vision;

/**
 * Sizes of one Correspondence Adaptation Module ({@link Cam}).
 *
 * @param llmHidden     LLM width D (Vicuna-7B: 4096)
 * @param qformerHidden Q-Former width D_I (768)
 * @param numQueries    query tokens per CAM (32, one per image token)
 */
public record CamConfig(int llmHidden, int qformerHidden, int numQueries) {
    public CamConfig {
        Json.check(llmHidden > 0 && qformerHidden > 0 && numQueries > 0, "CamConfig: sizes must be positive");
    }

    /** CALICO on Vicuna-7B: 4096 -> 768, 32 queries (Cheetah VPG-C sizes). */
    public static CamConfig calico() { return new CamConfig(4096, 768, 32); }

    /** For a given LLM width and Q-Former. */
    public static CamConfig forQFormer(int llmHidden, QFormerConfig q) { return new CamConfig(llmHidden, q.hidden(), q.numQueries()); }
}
