package org.calico.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.image.RgbImage;
import org.calico.llm.ImageSplicer;
import org.calico.llm.LlamaForCausalLM;
import org.calico.llm.LlamaInputs;
import org.calico.llm.LlamaOutput;
import org.calico.llm.LoraAdapters;
import org.calico.llm.PrefillHook;
import org.calico.nn.Module;
import org.calico.sam.ResizeLongestSide;
import org.calico.sam.SamModel;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.AddedTokens;
import org.calico.text.PromptBuilder;
import org.calico.text.PromptLayout;
import org.calico.text.Tokenizer;
import org.calico.vision.Blip2ImageEncoder;
import org.calico.vision.Cam;
import org.calico.vision.CamConfig;
import org.calico.vision.Cem;
import org.calico.vision.Dinov2;
import org.calico.vision.ImagePreprocessor;
import org.calico.vision.ImageSpans;

/**
 * The CALICO model (paper Fig. 2-3, spec §7), assembled from the project's boxes:
 * <pre>
 *   image i ─ BLIP-2 preprocessing ─ EVA-CLIP (+ln_vision) ─ X_global_i ─ Q-Former(query_tokens) ─ llm_proj ─ Nq LLM tokens
 *           ─ DINOv2 preprocessing ─ DINOv2-reg ─ X_semantic_i ──┐
 *                                        CEM(X_global_i, X_semantic_i) = X'_global_i
 *   prompt "<image> (IMAGE1) ... <image> (IMAGEn) ... ASSISTANT:" with each <image> replaced by image i's tokens
 *   LLaMA (+LoRA); before decoder layer l in camLayers: CAM_l(hidden, last instruction token, X'_global_i -> image spans)
 *   answer "<p> phrase </p> [SEG] (IMAGEk)": hidden(before [SEG]) ─ text_hidden_fcs ─ SAM decoder on image k ─ mask
 * </pre>
 * State-dict names (CALICO's own checkpoint layout; public parts map onto them with {@link CalicoMappings}):
 * {@code blip2.*} (visual_encoder, qformer, query_tokens, llm_proj), {@code dino.*}, {@code cem.*}, {@code cam.{i}.*},
 * {@code llm.*} (HF LLaMA: {@code llm.model.layers...}, {@code llm.lm_head}), {@code lora.*} (when LoRA is configured),
 * {@code text_hidden_fcs.0.{0,2}.*}, {@code sam.{image_encoder,prompt_encoder,mask_decoder}.*}.
 *
 * <p>Thread-safety: forward and inference methods only read parameters and may run concurrently; loading,
 * training and conversion must not overlap them.
 */
public final class CalicoModel extends Module {
    public final CalicoConfig config;
    public final Blip2ImageEncoder blip2;
    public final Dinov2 dino;
    public final Cem cem;
    public final List<Cam> cams;
    public final LlamaForCausalLM llm;
    public final LoraAdapters lora;
    public final TextHiddenFcs textHiddenFcs;
    public final SamModel sam;

    private final Tokenizer tokenizer;
    private final PromptBuilder prompts;
    private final ImagePreprocessor evaPre, dinoPre;
    private final ResizeLongestSide samResize;
    private final int segId;
    private final java.util.concurrent.atomic.AtomicLong imagesEncoded = new java.util.concurrent.atomic.AtomicLong();

    public CalicoModel(CalicoConfig cfg, Tokenizer tokenizer, DType dtype, Dev dev) {
        super(dtype, dev);
        if (tokenizer.vocabSize() != cfg.llm().vocabSize())
            throw new IllegalArgumentException("tokenizer " + tokenizer + " has " + tokenizer.vocabSize() + " tokens but the LLM of "
                    + cfg.name() + " has " + cfg.llm().vocabSize() + " embedding rows");
        this.config = cfg;
        this.tokenizer = tokenizer;
        this.segId = tokenizer.requireId(AddedTokens.SEG);
        blip2 = child("blip2", new Blip2ImageEncoder(cfg.eva(), cfg.qformer(), cfg.llm().hiddenSize(), dtype, dev));
        dino = child("dino", new Dinov2(cfg.dino(), dtype, dev));
        cem = child("cem", new Cem(cfg.cem(), dtype, dev));
        List<Cam> cs = new ArrayList<>();
        for (int i = 0; i < cfg.camLayers().length; i++)
            cs.add(new Cam(CamConfig.forQFormer(cfg.llm().hiddenSize(), cfg.qformer()), blip2.qformer, dtype, dev));
        cams = children("cam", cs);
        llm = child("llm", new LlamaForCausalLM(cfg.llm(), dtype, dev));
        lora = cfg.lora() == null ? null : child("lora", LoraAdapters.attach(llm, cfg.lora(), 0));
        textHiddenFcs = child("text_hidden_fcs", new TextHiddenFcs(cfg.llm().hiddenSize(), cfg.segDim(), dtype, dev));
        sam = child("sam", new SamModel(cfg.sam(), dtype, dev));
        prompts = PromptBuilder.calico(tokenizer).withTokensPerImage(cfg.tokensPerImage());
        evaPre = ImagePreprocessor.blip2(cfg.eva().imageSize());
        dinoPre = ImagePreprocessor.dinov2(cfg.dinoImageSize());
        samResize = new ResizeLongestSide(cfg.sam().imgSize());
    }

    public Tokenizer tokenizer() { return tokenizer; }

    public PromptBuilder prompts() { return prompts; }

    public int segTokenId() { return segId; }

    /** How many images went through the encoders since construction (the embedding cache is tested with it). */
    public long imagesEncoded() { return imagesEncoded.get(); }

    // ------------------------------------------------------------------ per image

    /**
     * Encodes images (batched through each encoder) into their {@link ImageFeatures}. Runs with the caller's grad
     * mode: under a NoGradGuard for inference, with autograd for training. Tensors belong to the caller's scope.
     */
    public List<ImageFeatures> encodeImages(List<RgbImage> images) {
        requireReady();
        if (images.isEmpty()) throw new IllegalArgumentException("no images");
        imagesEncoded.addAndGet(images.size());
        Dev dev = device();
        Tensor evaPix = T.to(evaPre.apply(images), dev, dtype());
        Blip2ImageEncoder.Output b = blip2.forward(evaPix);                 // [B, S, C], [B, Nq, Dq], [B, Nq, D]
        Tensor fused = b.imageFeatures();
        if (config.useCem()) {
            Tensor dinoPix = T.to(dinoPre.apply(images), dev, dtype());
            Tensor sem = cem.semanticFeatures(dino, dinoPix);                   // [B, T, Cd]
            fused = cem.forward(b.imageFeatures(), sem);                        // [B, S, C]
        }
        List<RgbImage> resized = new ArrayList<>();
        List<Tensor> samIn = new ArrayList<>();
        for (RgbImage img : images) {
            RgbImage r = samResize.applyImage(img);
            resized.add(r);
            samIn.add(sam.preprocess(r));
        }
        Tensor samEmb = sam.encodeImage(T.cat(0, samIn));                      // [B, C, g, g]
        List<ImageFeatures> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            out.add(new ImageFeatures(b.imageFeatures().narrow(0, i, 1), b.llmTokens().narrow(0, i, 1), fused.narrow(0, i, 1),
                    samEmb.narrow(0, i, 1), images.get(i).height(), images.get(i).width(), resized.get(i).height(), resized.get(i).width()));
        }
        return out;
    }

    // ------------------------------------------------------------------ LLM input and CAM

    /** [1, L, D] LLM input: the prompt's text embeddings with each image's tokens spliced into its span. */
    public Tensor inputEmbeddings(PromptLayout layout, List<ImageFeatures> feats) {
        List<Tensor> toks = new ArrayList<>();
        for (ImageFeatures f : feats) toks.add(f.llmTokens());
        return ImageSplicer.splice(llm, layout, toks);
    }

    /**
     * The CAM prefill hook for a batch of prompts (null when the model has no CAM). {@code pads[r]} is row r's left
     * padding; {@code feats.get(r)} are row r's images in order.
     */
    public PrefillHook camHook(List<PromptLayout> layouts, int[] pads, List<List<ImageFeatures>> feats) {
        if (!config.useCam()) return null;
        int b = layouts.size();
        long[] last = new long[b];
        List<List<ImageSpans.Span>> rows = new ArrayList<>();
        int nImg = 0;
        for (int r = 0; r < b; r++) {
            PromptLayout l = layouts.get(r);
            last[r] = l.lastInstructionIndex() + pads[r];
            List<ImageSpans.Span> spans = new ArrayList<>();
            for (PromptLayout.Span s : l.imageSpans()) spans.add(new ImageSpans.Span(s.start() + pads[r], s.length()));
            rows.add(spans);
            nImg = Math.max(nImg, feats.get(r).size());
        }
        // fused features [B, nImg, S, C]; rows with fewer images are padded with zeros (never read: no span points there)
        List<Tensor> perRow = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            List<Tensor> imgs = new ArrayList<>();
            for (ImageFeatures f : feats.get(r)) imgs.add(f.fused().squeeze(0));
            Tensor row = T.stack(0, imgs);
            if (imgs.size() < nImg) row = T.cat(0, row, torch.zeros_like(row.narrow(0, 0, 1)).expand(nImg - imgs.size(), -1, -1));
            perRow.add(row);
        }
        Tensor fused = T.stack(0, perRow);
        ImageSpans spans = ImageSpans.ofRows(rows);
        int[] layers = config.camLayers();
        Set<Integer> set = new LinkedHashSet<>();
        for (int l : layers) set.add(l);
        return PrefillHook.at(set, (layer, hidden) -> {
            int idx = Arrays.binarySearch(layers, layer);
            return cams.get(idx).inject(hidden, last, spans, fused);
        });
    }

    // ------------------------------------------------------------------ [SEG] -> masks

    /** Result of decoding [SEG] embeddings: mask logits at each image's original size and SAM's IoU predictions. */
    public record MaskLogits(List<Tensor> logits, Tensor iou) {}

    /**
     * segHidden [M, D] final-norm hidden states (the position before each [SEG]); imageIndex[m] the image of mask m.
     * Returns per mask logits [H_k, W_k] at the original size of its image, and IoU predictions [M].
     */
    public MaskLogits decodeMasks(Tensor segHidden, int[] imageIndex, List<ImageFeatures> feats) {
        requireReady();
        int m = imageIndex.length;
        if (segHidden.size(0) != m) throw new IllegalArgumentException(segHidden.size(0) + " [SEG] states for " + m + " image indices");
        if (m == 0) return new MaskLogits(List.of(), T.zeros(0));
        Tensor prompts = textHiddenFcs.forward(T.to(segHidden, device(), dtype())).unsqueeze(1);   // [M, 1, C]
        var pe = sam.promptEncoder.textEmbeds(prompts);                                              // sparse [M,1,C], dense [M,C,g,g]
        List<Tensor> embs = new ArrayList<>();
        for (ImageFeatures f : feats) embs.add(f.samEmbedding());
        long[] idx = new long[m];
        for (int i = 0; i < m; i++) {
            if (imageIndex[i] < 0 || imageIndex[i] >= feats.size())
                throw new IllegalArgumentException("[SEG] " + i + " refers to image " + (imageIndex[i] + 1) + " of " + feats.size());
            idx[i] = imageIndex[i];
        }
        Tensor index = T.to(T.fromLongs(idx, m), device(), DType.I64);
        var out = sam.maskDecoder.forward(T.cat(0, embs), index, sam.promptEncoder.densePe(), pe.sparse(), pe.dense(), false);
        List<Tensor> logits = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            ImageFeatures f = feats.get(imageIndex[i]);
            Tensor lr = out.masks().narrow(0, i, 1);                                                 // [1, 1, 4g, 4g]
            logits.add(sam.postprocessMasks(lr, f.inputH(), f.inputW(), f.origH(), f.origW()).squeeze(0).squeeze(0));
        }
        return new MaskLogits(logits, out.iouPredictions().select(1, 0));
    }

    // ------------------------------------------------------------------ training forward

    /** One teacher-forced sample: logits, labels (answer tokens only), and the [SEG] masks' logits in answer order. */
    public record TrainingOutput(Tensor logits, Tensor labels, List<Tensor> maskLogits, int[] maskImages, PromptLayout layout) {}

    /**
     * Full-sequence forward of one sample (the prompt message with {@code <image>} markers, the target answer in the
     * grammar). CAMs run on this pass. The [SEG] states are taken from the final-norm hidden state at the position
     * before each [SEG] token of the answer (spec §2.2), the image from the {@code (IMAGEk)} that follows.
     */
    public TrainingOutput trainingForward(List<ImageFeatures> feats, String message, String answer) {
        requireReady();
        PromptLayout layout = prompts.training(message, feats.size(), answer);
        Tensor embeds = inputEmbeddings(layout, feats);
        PrefillHook hook = camHook(List.of(layout), new int[1], List.of(feats));
        LlamaInputs in = LlamaInputs.embeds(embeds).logits(LlamaInputs.Logits.ALL);
        if (hook != null) in.hook(hook);
        LlamaOutput o = llm.forward(in);
        int[] ids = layout.ids();
        long[] labels = new long[ids.length];
        for (int i = 0; i < ids.length; i++) labels[i] = i >= layout.answerStart() && ids[i] >= 0 ? ids[i] : -100;
        Tensor lab = T.to(T.fromLongs(labels, 1, labels.length), device(), DType.I64);
        // [SEG] positions and their images from the answer tokens
        int[] answerIds = Arrays.copyOfRange(ids, layout.answerStart(), ids.length);
        var parsed = new org.calico.text.GroundedAnswerParser(tokenizer).parse(answerIds, feats.size(), layout.answerStart());
        int m = parsed.groundings().size();
        int[] imgs = new int[m];
        long[] pos = new long[m];
        for (int i = 0; i < m; i++) {
            imgs[i] = parsed.groundings().get(i).imageIndex();
            pos[i] = parsed.groundings().get(i).hiddenIndex();
        }
        List<Tensor> masks = List.of();
        if (m > 0) {
            Tensor segHidden = T.indexSelect(o.lastHidden().squeeze(0), 0, T.to(T.fromLongs(pos, m), device(), DType.I64));
            masks = decodeMasks(segHidden, imgs, feats).logits();
        }
        return new TrainingOutput(o.logits(), lab, masks, imgs, layout);
    }

    @Override public String toString() { return "CalicoModel[" + config + "]"; }
}
