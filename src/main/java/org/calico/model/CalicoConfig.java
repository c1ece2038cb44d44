package org.calico.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.calico.llm.LlamaConfig;
import org.calico.llm.LoraConfig;
import org.calico.sam.SamConfig;
import org.calico.text.WordTokenizer;
import org.calico.vision.CemConfig;
import org.calico.vision.Dinov2Config;
import org.calico.vision.EvaVitConfig;
import org.calico.vision.QFormerConfig;

/**
 * Everything that defines a CALICO model's shapes (paper Fig. 2-3, spec §7): the BLIP-2 image path (EVA-CLIP ViT +
 * Q-Former with {@code qformer.numQueries()} tokens + projection into the LLM), DINOv2 with registers and the CEM, the
 * LLaMA decoder with optional LoRA, the CAMs at {@code camLayers} (0-based decoder layer indices; the CAM runs before
 * that layer), the [SEG] projection {@code text_hidden_fcs} (D -> D -> {@code segDim}) and SAM.
 *
 * <p>The ablation switches of the paper (Table 3, Fig. 5) are {@link #withoutCem()}, {@link #withCamLayers(int...)}
 * (an empty set = no CAM). {@code evaImageSize}/{@code dinoImageSize} are the pixel sizes each encoder sees.
 *
 * @param name         preset name ("calico-7b", "calico-tiny") or a user name
 * @param tokenizer    "word:tiny" (the embedded word-level vocabulary) or "file:<path>" of a tokenizer.json /
 *                     tokenizer.model, resolved relative to the model directory
 */
public record CalicoConfig(String name, EvaVitConfig eva, QFormerConfig qformer, Dinov2Config dino, int dinoImageSize,
                           CemConfig cem, boolean useCem, LlamaConfig llm, LoraConfig lora, int[] camLayers,
                           SamConfig sam, int segDim, String tokenizer, int maxNewTokens) {
    public CalicoConfig {
        camLayers = camLayers.clone();
        Arrays.sort(camLayers);
        for (int i = 0; i < camLayers.length; i++) {
            if (camLayers[i] < 0 || camLayers[i] >= llm.numLayers())
                throw new IllegalArgumentException("CAM layer " + camLayers[i] + " outside the LLM's 0.." + (llm.numLayers() - 1));
            if (i > 0 && camLayers[i] == camLayers[i - 1]) throw new IllegalArgumentException("duplicate CAM layer " + camLayers[i]);
        }
        if (qformer.encoderHidden() != eva.width())
            throw new IllegalArgumentException("Q-Former encoder width " + qformer.encoderHidden() + " != EVA width " + eva.width());
        if (cem.evaWidth() != eva.width() || cem.dinoWidth() != dino.width())
            throw new IllegalArgumentException("CEM widths " + cem.evaWidth() + "/" + cem.dinoWidth() + " do not match EVA " + eva.width() + " / DINOv2 " + dino.width());
        if (dinoImageSize % dino.patchSize() != 0)
            throw new IllegalArgumentException("DINOv2 input " + dinoImageSize + " must be a multiple of the patch " + dino.patchSize());
        if (segDim != sam.embedDim())
            throw new IllegalArgumentException("[SEG] projection width " + segDim + " must equal SAM's prompt width " + sam.embedDim());
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1");
    }

    @Override public int[] camLayers() { return camLayers.clone(); }

    /**
     * k CAM positions spaced "every N/k layers" (project page) as ceil(N * i / (k + 1)), i = 1..k: on 32 layers k = 2
     * gives the paper's {11, 22}; on the tiny model's 4 layers k = 1, 2, 3 give {2}, {2, 3}, {1, 2, 3}.
     */
    public static int[] evenCamLayers(int numLayers, int k) {
        if (k < 0 || k > numLayers) throw new IllegalArgumentException("cannot place " + k + " CAMs in " + numLayers + " layers");
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = (int) Math.ceil((double) numLayers * (i + 1) / (k + 1));
        return out;
    }

    /**
     * The paper's model with real dimensions: EVA-CLIP-g (39 blocks, 224 px), Q-Former 32 queries, DINOv2-L/14 with 4
     * registers at 224 px (spec §7 decision), CEM 1408 <- 1024, Vicuna-7B v1.5 with GLaMM's 32007-token vocabulary and
     * LoRA r 8 / alpha 16 on q/v, CAMs at layers 11 and 22, text_hidden_fcs 4096 -> 4096 -> 256, SAM ViT-H.
     */
    public static CalicoConfig calico7b() {
        return new CalicoConfig("calico-7b", EvaVitConfig.blip2EvaG(), QFormerConfig.blip2(), Dinov2Config.vitL14Reg(), 224,
                CemConfig.calico(), true, LlamaConfig.vicuna7b(), LoraConfig.calico(), new int[] {11, 22}, SamConfig.vitH(), 256,
                "file:tokenizer.model", 256);
    }

    /**
     * The embedded default: small enough to train from scratch on 2 CPU cores in minutes on 128x128 synthetic
     * part-objects. EVA 128 px / patch 16 (65 tokens, width 96), Q-Former 96 wide with 8 queries, DINOv2 128 px / patch
     * 16 (width 96), CEM 4 heads, LLaMA 4 layers of width 128 on the embedded word vocabulary, CAMs before layers 2 and 3
     * ({@link #evenCamLayers}: the paper's 11/22 of 32 scaled to 4 layers), SAM 128 px / patch 8 (16x16 grid, width 64, 2 blocks, windows of 4
     * with block 1 global), decoder width 64, [SEG] projection 128 -> 128 -> 64. No LoRA: trained from scratch, every
     * weight trainable.
     */
    public static CalicoConfig calicoTiny() {
        int vocab = WordTokenizer.tinyDefault().vocabSize();
        EvaVitConfig eva = new EvaVitConfig(128, 16, 96, 2, 4, 384, 1e-6, 1e-5, true);
        QFormerConfig qf = new QFormerConfig(96, 2, 4, 192, 2, 96, 1e-12, 8);
        Dinov2Config dino = new Dinov2Config(128, 16, 96, 2, 4, 384, 4, 1e-6, true, 0.0, true);
        CemConfig cem = new CemConfig(96, 96, 4, -1, org.calico.vision.DinoFacet.TOKEN, true, 1e-6);
        LlamaConfig llm = new LlamaConfig(vocab, 128, 344, 4, 4, 4, 32, 1e-5, 10000.0, 512, 1, 2, 3, false);
        SamConfig sam = SamConfig.small(128, 8, 64, 2, 4, 4, List.of(1), 64, 128, 4);
        return new CalicoConfig("calico-tiny", eva, qf, dino, 128, cem, true, llm, null, evenCamLayers(4, 2), sam, 64, "word:tiny", 64);
    }

    /** "calico-7b" / "7b" or "calico-tiny" / "tiny". */
    public static CalicoConfig preset(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "calico-7b", "7b" -> calico7b();
            case "calico-tiny", "tiny" -> calicoTiny();
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "' (use calico-7b or calico-tiny)");
        };
    }

    /** Ablation: no CEM (the CAMs re-query the raw EVA features). */
    public CalicoConfig withoutCem() { return withCem(false); }

    public CalicoConfig withCem(boolean on) {
        return new CalicoConfig(name, eva, qformer, dino, dinoImageSize, cem, on, llm, lora, camLayers, sam, segDim, tokenizer, maxNewTokens);
    }

    /** Ablation: CAMs before these decoder layers (none = no CAM). */
    public CalicoConfig withCamLayers(int... layers) {
        return new CalicoConfig(name, eva, qformer, dino, dinoImageSize, cem, useCem, llm, lora, layers, sam, segDim, tokenizer, maxNewTokens);
    }

    public CalicoConfig withLora(LoraConfig l) {
        return new CalicoConfig(name, eva, qformer, dino, dinoImageSize, cem, useCem, llm, l, camLayers, sam, segDim, tokenizer, maxNewTokens);
    }

    public CalicoConfig withName(String n) {
        return new CalicoConfig(n, eva, qformer, dino, dinoImageSize, cem, useCem, llm, lora, camLayers, sam, segDim, tokenizer, maxNewTokens);
    }

    public boolean useCam() { return camLayers.length > 0; }

    /** Image tokens the LLM reads per image (the Q-Former's query count). */
    public int tokensPerImage() { return qformer.numQueries(); }

    @Override public boolean equals(Object o) {
        return o instanceof CalicoConfig c && c.name.equals(name) && c.eva.equals(eva) && c.qformer.equals(qformer) && c.dino.equals(dino)
                && c.dinoImageSize == dinoImageSize && c.cem.equals(cem) && c.useCem == useCem && c.llm.equals(llm)
                && java.util.Objects.equals(c.lora, lora) && Arrays.equals(c.camLayers, camLayers) && c.sam.equals(sam)
                && c.segDim == segDim && c.tokenizer.equals(tokenizer) && c.maxNewTokens == maxNewTokens;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(camLayers); }

    @Override public String toString() {
        return name + "[EVA " + eva.width() + "x" + eva.depth() + ", Q-Former " + qformer.numQueries() + "q, DINOv2 " + dino.width() + "x"
                + dino.depth() + (useCem ? ", CEM" : ", no CEM") + ", LLM " + llm.hiddenSize() + "x" + llm.numLayers()
                + (lora != null ? ", LoRA r" + lora.r() : "") + ", CAM " + Arrays.toString(camLayers) + ", SAM " + sam.imgSize() + "px]";
    }
}
