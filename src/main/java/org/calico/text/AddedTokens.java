package org.calico.text;

import java.util.List;

/**
 * Tokens added on top of a base vocabulary, in id order (the first gets id = base vocabulary size).
 *
 * <p>GLaMM ({@code train.py::setup_tokenizer_and_special_tokens}, spec §2.6) adds, in this order,
 * {@code <im_start>}, {@code <im_end>}, {@code <bbox>}, {@code <point>}, {@code [SEG]}, {@code <p>}, {@code </p>}:
 * on LLaMA's 32000-piece vocabulary that is ids 32000..32006 ({@code [SEG]} = 32004, vocabulary 32007), which is
 * what CALICO's checkpoint (initialised from GLaMM-FullScope) expects.
 *
 * <p>{@code <image>} is deliberately NOT a vocabulary token: like GLaMM/LLaVA's {@code tokenizer_image_token},
 * {@link PromptBuilder} splits the prompt at each {@code <image>} and replaces it with that image's 32 Q-Former token
 * slots ({@link PromptLayout#IMAGE_TOKEN_ID} placeholders), whose embeddings are spliced in before the LLM runs.
 */
public final class AddedTokens {
    private AddedTokens() {}

    public static final String IM_START = "<im_start>", IM_END = "<im_end>", BBOX = "<bbox>", POINT = "<point>",
            SEG = "[SEG]", P_OPEN = "<p>", P_CLOSE = "</p>";

    /** The placeholder CALICO's prompts use for an image (expanded, never tokenized). */
    public static final String IMAGE = "<image>";

    /** GLaMM's added tokens in id order. */
    public static final List<String> GLAMM = List.of(IM_START, IM_END, BBOX, POINT, SEG, P_OPEN, P_CLOSE);
}
