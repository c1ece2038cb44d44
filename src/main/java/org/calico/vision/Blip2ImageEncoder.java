package org.calico.vision;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Init;
import org.calico.nn.KeyMapping;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * BLIP-2's image path: {@code ln_vision(EVA(x))} -> Q-Former over the learned {@code query_tokens} -> projection into
 * the language model ({@code llm_proj} in InstructBLIP/LAVIS, {@code language_projection} in HF, {@code llama_proj} in
 * MiniGPT-4/Cheetah). HF: {@code Blip2Model.get_image_features}; LAVIS: {@code encode_img}.
 *
 * <p>Parameter names: {@code visual_encoder.*} ({@link EvaVit}, including {@code visual_encoder.ln_vision.*}),
 * {@code qformer.*} ({@link QFormer}), {@code query_tokens [1, Nq, D]}, {@code llm_proj.{weight [Dllm, D], bias}}.
 * Checkpoint layouts: {@link #HF}, {@link #lavis(String)}.
 */
public final class Blip2ImageEncoder extends Module {
    public final EvaVit visual;
    public final QFormer qformer;
    public final Param queryTokens;
    public final Linear llmProj;

    /** transformers {@code Blip2Model} / {@code Blip2ForConditionalGeneration}: {@code vision_model.*}, {@code qformer.*}, {@code query_tokens}, {@code language_projection.*}; {@code language_model.*} ignored. */
    public static final KeyMapping HF = hf(false);

    /** As {@link #HF} for checkpoints with {@code self_attn.q_bias}/{@code v_bias} (transformers 4.x BLIP-2 hub files). */
    public static final KeyMapping HF_QV_BIAS = hf(true);

    private static KeyMapping hf(boolean qv) {
        KeyMapping.Builder b = KeyMapping.builder("BLIP-2 image path HF" + (qv ? " (q_bias/v_bias)" : ""));
        EvaVit.hfRules(b, "visual_encoder.", "vision_model.", qv);
        QFormer.hfRules(b, "qformer.", "qformer.");
        return b.rename("^llm_proj\\.", "language_projection.").ignore("language_model\\..*").build();
    }

    /**
     * LAVIS-style checkpoints ({@code visual_encoder.*}, {@code ln_vision.*}, {@code Qformer.bert.*},
     * {@code query_tokens}, {@code <projName>.*}): {@code projName} is {@code llm_proj} (InstructBLIP-Vicuna),
     * {@code opt_proj} (BLIP-2 OPT), {@code t5_proj} or {@code llama_proj} (MiniGPT-4, Cheetah). The language model,
     * the contrastive/ITM heads and the text Q-Former parts are ignored.
     */
    public static KeyMapping lavis(String projName) {
        KeyMapping.Builder b = KeyMapping.builder("BLIP-2 image path LAVIS (" + projName + ")");
        EvaVit.lavisRules(b, "visual_encoder.", "visual_encoder.", "ln_vision.");
        QFormer.lavisRules(b, "qformer.", "Qformer.");
        return b.rename("^llm_proj\\.", projName + ".")
                .ignore("(llm_model|opt_model|t5_model|llama_model)\\..*")
                .ignore("(vision_proj|text_proj|itm_head)\\..*")
                .ignore("temp")
                .build();
    }

    /**
     * @param llmHidden width of the language model the queries are projected into (Vicuna-7B 4096)
     */
    public Blip2ImageEncoder(EvaVitConfig vision, QFormerConfig qformerCfg, int llmHidden, DType dtype, Dev dev) {
        super(dtype, dev);
        if (qformerCfg.encoderHidden() != vision.width())
            throw new IllegalArgumentException("Q-Former encoderHidden " + qformerCfg.encoderHidden() + " must equal the EVA width " + vision.width());
        if (llmHidden <= 0) throw new IllegalArgumentException("llmHidden must be positive, got " + llmHidden);
        visual = child("visual_encoder", new EvaVit(vision, dtype, dev));
        qformer = child("qformer", new QFormer(qformerCfg, dtype, dev));
        queryTokens = param("query_tokens", Init.normal(0.02), 1, qformerCfg.numQueries(), qformerCfg.hidden());
        llmProj = child("llm_proj", new Linear(qformerCfg.hidden(), llmHidden, true, dtype, dev));
    }

    /**
     * @param imageFeatures {@code ln_vision(EVA(x))} [B, 1+g*g, C] (what Cheetah keeps as {@code all_image_embeds})
     * @param queryOutput   Q-Former output [B, Nq, D]
     * @param llmTokens     projected queries [B, Nq, Dllm] (the image tokens of the LLM input)
     */
    public record Output(Tensor imageFeatures, Tensor queryOutput, Tensor llmTokens) {}

    /** pixels [B, 3, S, S] -> {@link Output}. */
    public Output forward(Tensor pixels) {
        requireReady();
        Tensor img = visual.forward(pixels);
        return fromFeatures(img);
    }

    /** imageFeatures [B, 1+g*g, C] (already through ln_vision) -> {@link Output}. */
    public Output fromFeatures(Tensor imageFeatures) {
        requireReady();
        Tensor q = qformer.forward(queryTokens.t(), imageFeatures);
        return new Output(imageFeatures, q, llmProj.forward(q));
    }

    /** The learned query tokens [1, Nq, D] (shared; do not modify). */
    public Tensor queryTokens() { return queryTokens.t(); }

    @Override public String toString() { return "Blip2ImageEncoder" + T.shapeString(queryTokens.t()); }
}
