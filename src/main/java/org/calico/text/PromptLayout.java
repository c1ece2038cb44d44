package org.calico.text;

import java.util.Arrays;
import java.util.List;

/**
 * A tokenized multi-image prompt (immutable): the ids the LLM runs on, with every image expanded to its
 * {@code tokensPerImage} slots holding {@link #IMAGE_TOKEN_ID} (their embeddings are spliced in from the Q-Former
 * projection), plus what CALICO's CAMs need per sequence:
 * <ul>
 *   <li>{@link #imageSpans()}: [start, end) of each image's slots, image k-1 for {@code (IMAGEk)};</li>
 *   <li>{@link #lastInstructionIndex()}: the index of the last token of the input part (Cheetah
 *       {@code input_part_targets_len}): at inference the last context token ({@code length - 1}), in training the
 *       last token before the answer;</li>
 *   <li>{@link #answerStart()}: first answer token in training sequences (-1 at inference).</li>
 * </ul>
 * Indices count from the start of the sequence (BOS at 0); with left padding add the row's padding
 * ({@link #shifted(int, int)}).
 */
public final class PromptLayout {
    /** Placeholder id of an image slot (LLaVA/GLaMM's {@code IMAGE_TOKEN_INDEX}). */
    public static final int IMAGE_TOKEN_ID = -200;

    /** One image's token slots: [start, end), for image {@code image} (0-based; the prompt says IMAGE{image+1}). */
    public record Span(int image, int start, int end) {
        public int length() { return end - start; }
    }

    private final String text;
    private final int[] ids;
    private final List<Span> spans;
    private final int lastInstruction, answerStart, tokensPerImage;

    PromptLayout(String text, int[] ids, List<Span> spans, int lastInstruction, int answerStart, int tokensPerImage) {
        this.text = text;
        this.ids = ids.clone();
        this.spans = List.copyOf(spans);
        this.lastInstruction = lastInstruction;
        this.answerStart = answerStart;
        this.tokensPerImage = tokensPerImage;
    }

    /** The prompt string before tokenization (with {@code <image>} markers). */
    public String text() { return text; }

    /** Token ids, {@link #IMAGE_TOKEN_ID} at image slots. */
    public int[] ids() { return ids.clone(); }

    /** Ids as longs with image slots replaced by {@code fill} (for an embedding lookup before splicing). */
    public long[] idsForEmbedding(int fill) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = ids[i] == IMAGE_TOKEN_ID ? fill : ids[i];
        return out;
    }

    public int length() { return ids.length; }

    public int numImages() { return spans.size(); }

    public int tokensPerImage() { return tokensPerImage; }

    public List<Span> imageSpans() { return spans; }

    public int lastInstructionIndex() { return lastInstruction; }

    /** First answer token (training sequences), or -1. */
    public int answerStart() { return answerStart; }

    public boolean isImageSlot(int i) { return ids[i] == IMAGE_TOKEN_ID; }

    /** The same layout with every index moved right by {@code pad} (a left-padded batch row filled with {@code padId}). */
    public PromptLayout shifted(int pad, int padId) {
        if (pad < 0) throw new IllegalArgumentException("padding must be >= 0, got " + pad);
        if (pad == 0) return this;
        int[] p = new int[ids.length + pad];
        Arrays.fill(p, 0, pad, padId);
        System.arraycopy(ids, 0, p, pad, ids.length);
        List<Span> s = spans.stream().map(x -> new Span(x.image(), x.start() + pad, x.end() + pad)).toList();
        return new PromptLayout(text, p, s, lastInstruction + pad, answerStart < 0 ? -1 : answerStart + pad, tokensPerImage);
    }

    @Override public String toString() {
        return "PromptLayout[" + ids.length + " tokens, spans " + spans + ", last instruction " + lastInstruction + "]";
    }
}
