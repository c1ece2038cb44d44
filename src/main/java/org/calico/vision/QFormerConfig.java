package org.calico.vision;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Hyper-parameters of the BLIP-2 Q-Former, query path only ({@link QFormer}).
 *
 * @param hidden                  width D (BERT-base 768)
 * @param layers                  number of BERT layers
 * @param heads                   attention heads
 * @param intermediate            FFN width of {@code intermediate_query}
 * @param crossAttentionFrequency cross-attention in layer i iff {@code i % crossAttentionFrequency == 0}
 * @param encoderHidden           width of the image features the cross-attention keys/values read (EVA 1408)
 * @param eps                     LayerNorm epsilon (BERT 1e-12)
 * @param numQueries              number of learned query tokens (BLIP-2: 32)
 */
public record QFormerConfig(int hidden, int layers, int heads, int intermediate, int crossAttentionFrequency,
                            int encoderHidden, double eps, int numQueries) {
    public QFormerConfig {
        Json.check(hidden > 0 && heads > 0 && hidden % heads == 0, "QFormerConfig: hidden " + hidden + " must be divisible by heads " + heads);
        Json.check(layers > 0 && intermediate > 0 && encoderHidden > 0 && numQueries > 0, "QFormerConfig: sizes must be positive");
        Json.check(crossAttentionFrequency > 0, "QFormerConfig: crossAttentionFrequency must be positive, got " + crossAttentionFrequency);
    }

    /** BLIP-2 (LAVIS {@code blip2.py::init_Qformer}, HF {@code Blip2QFormerConfig}): 768, 12 layers, 12 heads, 3072, every 2nd layer cross, encoder 1408, eps 1e-12, 32 queries. */
    public static QFormerConfig blip2() { return new QFormerConfig(768, 12, 12, 3072, 2, 1408, 1e-12, 32); }

    /** Small Q-Former for the synthetic-data model: 64 wide, 2 layers, 4 heads, FFN 128, encoder 64, 8 queries. */
    public static QFormerConfig tiny() { return new QFormerConfig(64, 2, 4, 128, 2, 64, 1e-12, 8); }

    /**
     * From a transformers {@code Blip2QFormerConfig} dict. {@code numQueries} comes from the parent
     * {@code Blip2Config.num_query_tokens} (the Q-Former config does not hold it).
     */
    public static QFormerConfig fromHfJson(JsonNode n, int numQueries) {
        Json.requireGelu(n, "hidden_act");
        if (Json.b(n, "use_qformer_text_input", false))
            throw new IllegalArgumentException("config: use_qformer_text_input=true (InstructBLIP text path) is not supported; only the query path is implemented");
        return new QFormerConfig(Json.i(n, "hidden_size", 768), Json.i(n, "num_hidden_layers", 12), Json.i(n, "num_attention_heads", 12),
                Json.i(n, "intermediate_size", 3072), Json.i(n, "cross_attention_frequency", 2), Json.i(n, "encoder_hidden_size", 1408),
                Json.d(n, "layer_norm_eps", 1e-12), numQueries);
    }

    public boolean hasCrossAttention(int layer) { return layer % crossAttentionFrequency == 0; }

    public int headDim() { return hidden / heads; }

    public QFormerConfig withNumQueries(int n) {
        return new QFormerConfig(hidden, layers, heads, intermediate, crossAttentionFrequency, encoderHidden, eps, n);
    }
}
