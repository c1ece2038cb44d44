package org.calico.llm;

import java.util.Set;

/**
 * How {@link LlamaGenerator} picks tokens (HF {@code GenerationConfig} semantics for the subset CALICO needs).
 * <ul>
 *   <li>greedy ({@code temperature == 0}, the default; ties go to the lowest token id) or sampling: logits divided by
 *       {@code temperature}, then top-k (keep every token whose logit is >= the k-th largest; 0 = off), then top-p
 *       (HF {@code TopPLogitsWarper}: drop the low-probability tail whose cumulative mass is <= 1 - p, always keeping
 *       the most likely token; 1 = off), then one draw from the renormalised distribution;</li>
 *   <li>sampling is reproducible: row r of a request draws from a SplitMix64 stream seeded with {@code seed + r}
 *       (independent of {@code java.util.Random} and of thread scheduling);</li>
 *   <li>generation of a row stops after a token in {@code stopTokenIds} (kept in the output) or after
 *       {@code maxNewTokens};</li>
 *   <li>{@code captureHidden}: which generated tokens keep the final-norm hidden state of the position that predicted
 *       them (the state the [SEG] path needs: the one before [SEG]).</li>
 * </ul>
 */
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, long seed,
                               Set<Integer> stopTokenIds, Capture captureHidden, Set<Integer> captureTokenIds) {
    /** Which hidden states are kept. */
    public enum Capture { NONE, ALL, TOKENS }

    public GenerationConfig {
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0 and finite, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        stopTokenIds = Set.copyOf(stopTokenIds);
        captureTokenIds = Set.copyOf(captureTokenIds);
        if (captureHidden == null) throw new IllegalArgumentException("captureHidden must not be null");
    }

    public boolean greedy() { return temperature == 0; }

    /** Greedy decoding of up to {@code maxNewTokens}, stopping at {@code stopIds}, no hidden states kept. */
    public static GenerationConfig greedy(int maxNewTokens, int... stopIds) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, 0, toSet(stopIds), Capture.NONE, Set.of());
    }

    public GenerationConfig withSampling(double temperature, int topK, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, captureHidden, captureTokenIds);
    }

    /** Keep the predicting hidden state of every generated token. */
    public GenerationConfig withAllHidden() {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, Capture.ALL, Set.of());
    }

    /** Keep the predicting hidden state only of generated tokens in {@code ids} (e.g. the [SEG] id). */
    public GenerationConfig withHiddenFor(int... ids) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, Capture.TOKENS, toSet(ids));
    }

    static Set<Integer> toSet(int... ids) {
        java.util.Set<Integer> s = new java.util.HashSet<>();
        for (int i : ids) s.add(i);
        return s;
    }
}
