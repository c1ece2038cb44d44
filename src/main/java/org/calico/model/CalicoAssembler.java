package org.calico.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.llm.LlamaForCausalLM;
import org.calico.nn.KeyMapping;
import org.calico.nn.KeyMappingFile;
import org.calico.nn.LoadReport;
import org.calico.nn.Module;
import org.calico.nn.ModuleLoadException;
import org.calico.sam.SamMappings;
import org.calico.vision.Blip2ImageEncoder;
import org.calico.vision.Dinov2;

/**
 * Builds a CALICO model from the public checkpoints it is made of, each read by its real key names (spec §2.7, §3, §4):
 * <ul>
 *   <li>GLaMM-FullScope (HF safetensors / sharded index / torch zip): the LLM ({@code model.*}, {@code lm_head}),
 *       {@code model.text_hidden_fcs.*} and SAM ({@code model.grounding_encoder.*});</li>
 *   <li>BLIP-2 / InstructBLIP (HF {@code vision_model/qformer/query_tokens/language_projection} or LAVIS
 *       {@code visual_encoder/ln_vision/Qformer.bert/query_tokens/llm_proj}): EVA-CLIP, Q-Former and the projection;</li>
 *   <li>DINOv2 with registers (original {@code blocks.*} or HF 4.x / 5.x names);</li>
 *   <li>CALICO's own weights (CEM, CAMs, LoRA; optionally fine-tuned text_hidden_fcs / SAM decoder) from a safetensors
 *       file in this project's names ({@code cem.*}, {@code cam.{i}.*}, {@code lora.*}, ...), or</li>
 *   <li>a whole merged checkpoint read through a {@link KeyMappingFile} (for the released CALICO checkpoint once its
 *       key names are known).</li>
 * </ul>
 * Every component is checked before it is loaded; afterwards every component must have been loaded (or initialised
 * where the paper initialises it: CAM queries from BLIP-2, zero CEM/CAM output projections). Anything missing or
 * mis-shaped is a {@link ModuleLoadException} / {@link IllegalStateException} and the model is not returned.
 */
public final class CalicoAssembler {
    private final CalicoModel model;
    private final Map<String, LoadReport> reports = new LinkedHashMap<>();

    public CalicoAssembler(CalicoModel model) { this.model = model; }

    public Map<String, LoadReport> reports() { return reports; }

    private void load(String part, Module m, TensorSource src, KeyMapping mapping, boolean allowUnexpected) {
        reports.put(part, m.load(src, mapping, allowUnexpected));
    }

    /** GLaMM-FullScope: LLM, text_hidden_fcs and SAM. */
    public CalicoAssembler glamm(Path checkpoint) {
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            load("llm", model.llm, src, LlamaForCausalLM.GLAMM.toBuilder().ignore("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq").build(), false);
            load("text_hidden_fcs", model.textHiddenFcs, src, KeyMapping.builder("GLaMM text_hidden_fcs").prefix("model.text_hidden_fcs.")
                    .ignore("(?!model\\.text_hidden_fcs\\.).*").build(), false);
            load("sam", model.sam, src, SamMappings.GLAMM, false);
        }
        return this;
    }

    /** BLIP-2 / InstructBLIP: HF or LAVIS layout, detected from the key names. */
    public CalicoAssembler blip2(Path checkpoint) {
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            KeyMapping m;
            if (src.contains("query_tokens") && src.names().stream().anyMatch(k -> k.startsWith("vision_model.")))
                m = src.names().stream().anyMatch(k -> k.endsWith("self_attn.q_bias")) ? Blip2ImageEncoder.HF_QV_BIAS : Blip2ImageEncoder.HF;
            else if (src.names().stream().anyMatch(k -> k.startsWith("visual_encoder.")))
                m = Blip2ImageEncoder.lavis(src.names().stream().anyMatch(k -> k.startsWith("llm_proj.")) ? "llm_proj"
                        : src.names().stream().anyMatch(k -> k.startsWith("llama_proj.")) ? "llama_proj" : "opt_proj");
            else
                throw new IllegalArgumentException(src.description() + ": neither an HF BLIP-2 (vision_model.*, query_tokens) nor a LAVIS (visual_encoder.*) checkpoint");
            load("blip2", model.blip2, src, m, false);
            // the paper initialises each CAM's queries from BLIP-2's query_tokens; projections stay zero
            for (int i = 0; i < model.cams.size(); i++) {
                if (!model.cams.get(i).isReady()) model.cams.get(i).initFromBlip2QueryTokens(model.blip2.queryTokens());
            }
        }
        return this;
    }

    /** DINOv2 with registers: original, HF 5.x or HF 4.x names. */
    public CalicoAssembler dinov2(Path checkpoint) {
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            KeyMapping m = src.contains("pos_embed") ? Dinov2.ORIGINAL
                    : src.names().stream().anyMatch(k -> k.contains(".attention.attention.")) ? Dinov2.HF4 : Dinov2.HF;
            load("dino", model.dino, src, m, true);
        }
        return this;
    }

    /** CALICO's own weights ({@code cem.*}, {@code cam.*}, {@code lora.*}, optionally others) under this project's names. */
    public CalicoAssembler calico(Path file) {
        try (TensorSource src = SafeTensors.open(file)) {
            List<String> loaded = new ArrayList<>();
            for (var e : model.children().entrySet()) {
                String p = e.getKey() + ".";
                if (src.names().stream().noneMatch(k -> k.startsWith(p))) continue;
                KeyMapping m = KeyMapping.builder("CALICO " + e.getKey()).prefix(p).ignore("(?!" + java.util.regex.Pattern.quote(p) + ").*").build();
                load(e.getKey(), e.getValue(), src, m, false);
                loaded.add(e.getKey());
            }
            if (loaded.isEmpty()) throw new IllegalArgumentException(file + ": no tensor under any CALICO component (cem., cam.0., lora., ...)");
        }
        return this;
    }

    /** A whole checkpoint through a mapping file. */
    public CalicoAssembler mapped(Path checkpoint, Path mappingFile) {
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            load("all", model, src, KeyMappingFile.read(mappingFile), false);
        }
        return this;
    }

    /** Zero-initialised CEM / CAM where no weights were given (an untrained CEM/CAM is the identity). */
    public CalicoAssembler identityCemCam() {
        for (Module m : List.of(model.cem)) if (!m.isReady()) m.initRandom(0); // out_proj is zero-initialised: identity
        for (var c : model.cams) if (!c.isReady()) {
            if (!model.blip2.isReady()) throw new IllegalStateException("load BLIP-2 before initialising the CAM queries from it");
            c.initFromBlip2QueryTokens(model.blip2.queryTokens());
        }
        return this;
    }

    /** The assembled model; throws naming every component that was never loaded. */
    public CalicoModel build() {
        List<String> missing = new ArrayList<>();
        for (var e : model.children().entrySet()) if (!e.getValue().isReady()) missing.add(e.getKey());
        if (!missing.isEmpty())
            throw new IllegalStateException("components without weights: " + missing + " (give their checkpoints, or identityCemCam() for CEM/CAM)");
        model.markReady();
        return model;
    }
}
