package org.calico.text;

import java.util.List;

/**
 * A parsed model answer (immutable): the decoded text, the grounded phrases, and every problem found. Model output is
 * never trusted: malformed parts are reported in {@link #problems()}, never thrown.
 */
public record GroundedAnswer(String text, List<Grounding> groundings, List<Problem> problems) {
    public GroundedAnswer {
        groundings = List.copyOf(groundings);
        problems = List.copyOf(problems);
    }

    /**
     * One {@code <p> phrase </p> [SEG] (IMAGEk)}.
     *
     * @param phrase        the text between {@code <p>} and {@code </p>}, trimmed ("" when the [SEG] had none)
     * @param imageIndex    0-based image index (k - 1)
     * @param segTokenIndex index of the [SEG] token in the parsed token array (-1 for text input); with a
     *                      {@code GenerationResult} this is the generated-token index j whose predicting hidden state
     *                      ({@code hiddenBefore(j)}) feeds SAM
     * @param hiddenIndex   sequence index of the position whose final-norm hidden state feeds SAM: the one before
     *                      [SEG] ({@code offset + segTokenIndex - 1}; -1 for text input)
     */
    public record Grounding(String phrase, int imageIndex, int segTokenIndex, int hiddenIndex) {
        /** The k of {@code (IMAGEk)}. */
        public int imageNumber() { return imageIndex + 1; }
    }

    public enum Kind {
        /** a {@code <p>} without its {@code </p>} (before the next {@code <p>}, a [SEG], or the end) */
        UNCLOSED_PHRASE,
        /** a {@code </p>} without an open {@code <p>} */
        STRAY_CLOSE,
        /** a closed phrase not followed by [SEG] */
        PHRASE_WITHOUT_SEG,
        /** [SEG] with no {@code <p> phrase </p>} before it (kept with an empty phrase) */
        SEG_WITHOUT_PHRASE,
        /** [SEG] not followed by {@code (IMAGEk)}; kept for image 1 when there is one image, else dropped */
        SEG_WITHOUT_IMAGE_ID,
        /** {@code (IMAGEk)} with k outside 1..numImages; dropped */
        IMAGE_ID_OUT_OF_RANGE,
        /** the answer holds no [SEG] at all */
        NO_SEG
    }

    /** @param index token index (or character index for text input) where the problem was found, -1 if global */
    public record Problem(Kind kind, int index, String message) {}

    public boolean ok() { return problems.isEmpty(); }

    public boolean has(Kind k) { return problems.stream().anyMatch(p -> p.kind() == k); }
}
