package org.calico.llm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Hyper-parameters of a LLaMA-family decoder ({@code transformers.LlamaConfig}, the subset CALICO uses).
 * <ul>
 *   <li>{@code headDim} defaults to {@code hiddenSize / numHeads};</li>
 *   <li>{@code ropeTheta} comes from {@code rope_parameters.rope_theta} (transformers 5.x) or the legacy top-level
 *       {@code rope_theta}; only {@code rope_type "default"} is supported (no scaling);</li>
 *   <li>{@code rmsNormEps} is 1e-5 for Vicuna v1.5 / GLaMM (spec §6), 1e-6 for LLaMA-1 / Vicuna v1.1.</li>
 * </ul>
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, double rmsNormEps, double ropeTheta, int maxPositionEmbeddings,
                          int bosId, int eosId, int padId, boolean tieWordEmbeddings) {

    public LlamaConfig {
        req(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        req(hiddenSize > 0, "hidden_size must be > 0, got " + hiddenSize);
        req(intermediateSize > 0, "intermediate_size must be > 0, got " + intermediateSize);
        req(numLayers > 0, "num_hidden_layers must be > 0, got " + numLayers);
        req(numHeads > 0, "num_attention_heads must be > 0, got " + numHeads);
        req(numKvHeads > 0 && numHeads % numKvHeads == 0,
                "num_key_value_heads (" + numKvHeads + ") must divide num_attention_heads (" + numHeads + ")");
        req(headDim > 0 && headDim % 2 == 0, "head_dim must be a positive even number, got " + headDim);
        req(rmsNormEps > 0, "rms_norm_eps must be > 0, got " + rmsNormEps);
        req(ropeTheta > 0, "rope_theta must be > 0, got " + ropeTheta);
        req(maxPositionEmbeddings > 0, "max_position_embeddings must be > 0, got " + maxPositionEmbeddings);
    }

    private static void req(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException("LlamaConfig: " + msg);
    }

    /** Query heads per key/value head (1 without GQA). */
    public int kvGroups() { return numHeads / numKvHeads; }

    /**
     * Vicuna-7B v1.5 (lmsys/vicuna-7b-v1.5 config.json, spec §6) with GLaMM's 7 added tokens (vocab 32007, spec §2.6):
     * hidden 4096, intermediate 11008, 32 layers, 32 heads (no GQA), eps 1e-5, theta 10000, max positions 4096.
     */
    public static LlamaConfig vicuna7b() {
        return new LlamaConfig(32007, 4096, 11008, 32, 32, 32, 128, 1e-5, 10000.0, 4096, 1, 2, 0, false);
    }

    /** Vicuna-7B v1.5 without added tokens (vocab 32000). */
    public static LlamaConfig vicuna7bBase() { return vicuna7b().withVocabSize(32000); }

    /**
     * A tiny configuration for synthetic tests and the embedded demo model: 4 layers of width 64, 4 heads, 2 kv heads
     * (GQA exercised), intermediate 172, the given vocabulary size.
     */
    public static LlamaConfig tiny(int vocabSize) {
        return new LlamaConfig(vocabSize, 64, 172, 4, 4, 2, 16, 1e-5, 10000.0, 512, 1, 2, 0, false);
    }

    public LlamaConfig withVocabSize(int v) {
        return new LlamaConfig(v, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps,
                ropeTheta, maxPositionEmbeddings, bosId, eosId, padId, tieWordEmbeddings);
    }

    public LlamaConfig withLayers(int n) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, n, numHeads, numKvHeads, headDim, rmsNormEps,
                ropeTheta, maxPositionEmbeddings, bosId, eosId, padId, tieWordEmbeddings);
    }

    /** Reads an HF {@code config.json}. */
    public static LlamaConfig fromHfJson(Path file) {
        try {
            return fromHfJson(new ObjectMapper().readTree(Files.readString(file)), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read LLaMA config " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses an HF LLaMA config object (a parity case's {@code config}, or a config.json). */
    public static LlamaConfig fromHfJson(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": LLaMA config is not a JSON object");
        String mt = n.path("model_type").asText("llama");
        if (!mt.equals("llama") && !mt.equals("llava"))
            throw new IllegalArgumentException(where + ": model_type '" + mt + "' is not a LLaMA model");
        int hidden = intReq(n, "hidden_size", where);
        int heads = intReq(n, "num_attention_heads", where);
        int kv = n.hasNonNull("num_key_value_heads") ? n.get("num_key_value_heads").asInt() : heads;
        int headDim = n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : hidden / heads;
        double theta = 10000.0;
        JsonNode rp = n.get("rope_parameters");
        if (rp == null || rp.isNull()) rp = n.get("rope_scaling");
        if (rp != null && rp.isObject()) {
            String type = rp.path("rope_type").asText(rp.path("type").asText("default"));
            if (!type.equals("default"))
                throw new IllegalArgumentException(where + ": rope_type '" + type + "' is not supported (only 'default')");
            if (rp.hasNonNull("rope_theta")) theta = rp.get("rope_theta").asDouble();
        }
        if (n.hasNonNull("rope_theta")) theta = n.get("rope_theta").asDouble();
        if (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false))
            throw new IllegalArgumentException(where + ": attention_bias / mlp_bias are not supported (LLaMA/Vicuna have none)");
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new IllegalArgumentException(where + ": hidden_act '" + act + "' is not supported (silu only)");
        if (n.path("pretraining_tp").asInt(1) != 1)
            throw new IllegalArgumentException(where + ": pretraining_tp != 1 is not supported");
        return new LlamaConfig(intReq(n, "vocab_size", where), hidden, intReq(n, "intermediate_size", where),
                intReq(n, "num_hidden_layers", where), heads, kv, headDim, n.path("rms_norm_eps").asDouble(1e-6), theta,
                n.path("max_position_embeddings").asInt(2048), optId(n, "bos_token_id", 1), optId(n, "eos_token_id", 2),
                optId(n, "pad_token_id", -1), n.path("tie_word_embeddings").asBoolean(false));
    }

    private static int intReq(JsonNode n, String k, String where) {
        JsonNode v = n.get(k);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException(where + ": '" + k + "' missing or not an integer");
        return v.asInt();
    }

    private static int optId(JsonNode n, String k, int dflt) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) return dflt;
        if (v.isArray()) return v.size() > 0 ? v.get(0).asInt() : dflt;
        return v.asInt();
    }
}
