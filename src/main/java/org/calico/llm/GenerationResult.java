package org.calico.llm;

import java.util.Arrays;

/**
 * One generated sequence (immutable).
 *
 * @param promptLength number of prompt positions (image tokens included, padding excluded)
 * @param tokens       generated token ids, the stop token included when one ended the row
 * @param stopReason   why generation ended
 * @param hidden       per generated token j: the final-norm hidden state [D] of the position that predicted it
 *                     (sequence index {@code promptLength + j - 1}), or null where not captured
 */
public record GenerationResult(int promptLength, int[] tokens, StopReason stopReason, float[][] hidden) {
    public enum StopReason { STOP_TOKEN, MAX_NEW_TOKENS }

    public GenerationResult {
        tokens = tokens.clone();
        float[][] h = new float[hidden.length][];
        for (int i = 0; i < h.length; i++) h[i] = hidden[i] == null ? null : hidden[i].clone();
        hidden = h;
        if (hidden.length != tokens.length) throw new IllegalArgumentException("hidden has " + hidden.length + " entries for " + tokens.length + " tokens");
    }

    @Override public int[] tokens() { return tokens.clone(); }

    public int length() { return tokens.length; }

    public int token(int j) { return tokens[j]; }

    /** The captured predicting state of generated token j (a copy), or null. */
    public float[] hiddenBefore(int j) { return hidden[j] == null ? null : hidden[j].clone(); }

    @Override public float[][] hidden() {
        float[][] h = new float[hidden.length][];
        for (int i = 0; i < h.length; i++) h[i] = hiddenBefore(i);
        return h;
    }

    /** Sequence index (prompt + generated, no padding) of generated token j. */
    public int sequenceIndex(int j) { return promptLength + j; }

    /** The generated tokens as longs (for tokenizer decode / tensors). */
    public long[] tokensAsLongs() {
        long[] out = new long[tokens.length];
        for (int i = 0; i < out.length; i++) out[i] = tokens[i];
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof GenerationResult g && g.promptLength == promptLength && Arrays.equals(g.tokens, tokens)
                && g.stopReason == stopReason && Arrays.deepEquals(g.hidden, hidden);
    }

    @Override public int hashCode() { return Arrays.hashCode(tokens) * 31 + promptLength; }

    @Override public String toString() { return "GenerationResult[prompt " + promptLength + ", tokens " + Arrays.toString(tokens) + ", " + stopReason + "]"; }
}
