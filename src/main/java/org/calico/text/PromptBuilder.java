package org.calico.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds CALICO's multi-image prompts and tokenizes them into a {@link PromptLayout}.
 *
 * <p>Wording (paper, spec §7): "The &lt;image&gt; (IMAGE1) and &lt;image&gt; (IMAGE2) provide an overview of the
 * pictures." followed by the task instruction ({@link Task}); one image: "The &lt;image&gt; (IMAGE1) provides an
 * overview of the picture." (GLaMM's {@code begin_str} plus the identifier); N >= 3: "The &lt;image&gt; (IMAGE1),
 * &lt;image&gt; (IMAGE2) and &lt;image&gt; (IMAGE3) provide an overview of the pictures.". Overview and instruction are
 * joined by a newline as in GLaMM's {@code eval/gcg/infer.py} ({@code begin_str = "The <image> provides an overview of
 * the picture.\n"}); the paper does not show the separator.
 *
 * <p>Conversation: GLaMM/LISA's {@code conv_templates["llava_v1"]} ({@code model/llava/conversation.py}, SeparatorStyle
 * TWO, sep " ", sep2 "&lt;/s&gt;"), which CALICO was initialised from:
 * {@code "<system> USER: <message> ASSISTANT:"} at inference, {@code "... ASSISTANT: <answer></s>"} in training, with
 * system "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful,
 * detailed, and polite answers to the human's questions.".
 *
 * <p>Images: with {@code useImStartEnd} (GLaMM's default {@code --use_mm_start_end}) each {@code <image>} becomes
 * {@code <im_start><image><im_end>}. Tokenization mirrors GLaMM's {@code tokenizer_image_token}: the prompt is split at
 * each {@code <image>}, every chunk is tokenized on its own, BOS goes first, and each {@code <image>} becomes
 * {@code tokensPerImage} (CALICO: 32 Q-Former tokens) slots of {@link PromptLayout#IMAGE_TOKEN_ID}.
 *
 * <p>Immutable and thread-safe.
 */
public final class PromptBuilder {
    public static final String LLAVA_V1_SYSTEM = "A chat between a curious human and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the human's questions.";
    public static final int MAX_IMAGES = 16;

    private final Tokenizer tok;
    private final int tokensPerImage;
    private final boolean useImStartEnd;
    private final String system, separator;

    private PromptBuilder(Tokenizer tok, int tokensPerImage, boolean useImStartEnd, String system, String separator) {
        this.tok = Objects.requireNonNull(tok, "tokenizer");
        if (tokensPerImage < 1) throw new IllegalArgumentException("tokensPerImage must be >= 1, got " + tokensPerImage);
        if (useImStartEnd && (tok.idOf(AddedTokens.IM_START) < 0 || tok.idOf(AddedTokens.IM_END) < 0))
            throw new IllegalArgumentException("useImStartEnd needs <im_start> and <im_end> in the tokenizer (add AddedTokens.GLAMM)");
        this.tokensPerImage = tokensPerImage;
        this.useImStartEnd = useImStartEnd;
        this.system = system;
        this.separator = separator;
    }

    /** CALICO defaults: 32 tokens per image, {@code <im_start>/<im_end>} around images, llava_v1 conversation, "\n". */
    public static PromptBuilder calico(Tokenizer tok) { return new PromptBuilder(tok, 32, true, LLAVA_V1_SYSTEM, "\n"); }

    public PromptBuilder withTokensPerImage(int n) { return new PromptBuilder(tok, n, useImStartEnd, system, separator); }

    public PromptBuilder withImStartEnd(boolean on) { return new PromptBuilder(tok, tokensPerImage, on, system, separator); }

    public PromptBuilder withSystem(String s) { return new PromptBuilder(tok, tokensPerImage, useImStartEnd, Objects.requireNonNull(s), separator); }

    /** Text between the image overview and the instruction (default "\n"). */
    public PromptBuilder withSeparator(String s) { return new PromptBuilder(tok, tokensPerImage, useImStartEnd, system, Objects.requireNonNull(s)); }

    public Tokenizer tokenizer() { return tok; }

    /** "The <image> (IMAGE1) and <image> (IMAGE2) provide an overview of the pictures." for N images. */
    public static String overview(int numImages) {
        checkImages(numImages);
        if (numImages == 1) return "The <image> (IMAGE1) provides an overview of the picture.";
        StringBuilder sb = new StringBuilder("The ");
        for (int k = 1; k <= numImages; k++) {
            if (k > 1) sb.append(k == numImages ? " and " : ", ");
            sb.append("<image> (IMAGE").append(k).append(')');
        }
        return sb.append(" provide an overview of the pictures.").toString();
    }

    private static void checkImages(int n) {
        if (n < 1 || n > MAX_IMAGES) throw new IllegalArgumentException("number of images must be in [1, " + MAX_IMAGES + "], got " + n);
    }

    /** The user message for a task: overview + separator + instruction. */
    public String message(Task task, int numImages) { return overview(numImages) + separator + task.instruction(); }

    /**
     * The user message for a free-form instruction: used as is when it already holds exactly {@code numImages}
     * {@code <image>} markers, else prefixed with the overview.
     */
    public String message(String instruction, int numImages) {
        checkImages(numImages);
        int markers = count(instruction, AddedTokens.IMAGE);
        if (markers == 0) return overview(numImages) + separator + instruction.strip();
        if (markers != numImages)
            throw new IllegalArgumentException("instruction has " + markers + " <image> markers but " + numImages + " images are given");
        return instruction.strip();
    }

    /** The conversation string at inference: "{system} USER: {message} ASSISTANT:". */
    public String conversation(String message) { return system + " USER: " + message + " ASSISTANT:"; }

    /** Inference prompt for a task. */
    public PromptLayout inference(Task task, int numImages) { return build(conversation(message(task, numImages)), null, numImages); }

    /** Inference prompt for a free-form instruction. */
    public PromptLayout inference(String instruction, int numImages) { return build(conversation(message(instruction, numImages)), null, numImages); }

    /**
     * Training sequence: "{system} USER: {message} ASSISTANT: {answer}</s>" tokenized as one string (as GLaMM does),
     * {@link PromptLayout#answerStart()} at the first answer token, last instruction = the token before it.
     */
    public PromptLayout training(String message, int numImages, String answer) {
        checkImages(numImages);
        if (count(message, AddedTokens.IMAGE) != numImages)
            throw new IllegalArgumentException("message has " + count(message, AddedTokens.IMAGE) + " <image> markers but " + numImages + " images are given");
        return build(system + " USER: " + message + " ASSISTANT: " + answer + "</s>", conversation(message), numImages);
    }

    private PromptLayout build(String conv, String contextOnly, int numImages) {
        String s = useImStartEnd ? conv.replace(AddedTokens.IMAGE, AddedTokens.IM_START + AddedTokens.IMAGE + AddedTokens.IM_END) : conv;
        int[] ids = tokenizeWithImages(s);
        List<PromptLayout.Span> spans = new ArrayList<>();
        for (int i = 0; i < ids.length; ) {
            if (ids[i] == PromptLayout.IMAGE_TOKEN_ID) {
                spans.add(new PromptLayout.Span(spans.size(), i, i + tokensPerImage));
                i += tokensPerImage;
            } else i++;
        }
        if (spans.size() != numImages)
            throw new IllegalArgumentException("prompt holds " + spans.size() + " <image> markers but " + numImages + " images are given");
        int last = ids.length - 1, answerStart = -1;
        if (contextOnly != null) {
            String c = useImStartEnd ? contextOnly.replace(AddedTokens.IMAGE, AddedTokens.IM_START + AddedTokens.IMAGE + AddedTokens.IM_END) : contextOnly;
            int[] ctx = tokenizeWithImages(c);
            int common = 0;
            while (common < ctx.length && common < ids.length && ctx[common] == ids[common]) common++;
            answerStart = common;
            last = common - 1;
        }
        return new PromptLayout(conv, ids, spans, last, answerStart, tokensPerImage);
    }

    /** GLaMM's tokenizer_image_token: BOS, then each chunk between <image> markers, markers -> image slots. */
    private int[] tokenizeWithImages(String s) {
        List<Integer> out = new ArrayList<>();
        out.add(tok.bosId());
        String[] chunks = s.split(java.util.regex.Pattern.quote(AddedTokens.IMAGE), -1);
        for (int c = 0; c < chunks.length; c++) {
            if (c > 0) for (int j = 0; j < tokensPerImage; j++) out.add(PromptLayout.IMAGE_TOKEN_ID);
            for (int id : tok.encode(chunks[c])) out.add(id);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }
}
