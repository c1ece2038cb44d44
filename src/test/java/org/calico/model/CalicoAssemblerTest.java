package org.calico.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Task;
import org.calico.io.SafeTensors;
import org.calico.llm.LlamaForCausalLM;
import org.calico.nn.KeyMapping;
import org.calico.nn.Module;
import org.calico.nn.ModuleLoadException;
import org.calico.sam.SamMappings;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.text.WordTokenizer;
import org.calico.vision.Blip2ImageEncoder;
import org.calico.vision.Dinov2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports a random calico-tiny into the public checkpoints' real key layouts (GLaMM, HF BLIP-2, DINOv2 original, CALICO's
 * own file), assembles a fresh model from them and checks it behaves identically.
 */
class CalicoAssemblerTest {
    @TempDir Path tmp;

    /** Writes {@code m}'s tensors under the checkpoint names {@code mapping} gives them (copy rules only). */
    static void export(Module m, KeyMapping mapping, Map<String, Tensor> into) {
        for (var e : m.stateDict().entrySet()) {
            KeyMapping.Resolution r = mapping.resolve(e.getKey());
            if (r.kind() != KeyMapping.Resolution.Kind.COPY) throw new IllegalStateException("test exporter handles copy rules only: " + e.getKey());
            into.put(r.sourceKeys().get(0), e.getValue());
        }
    }

    @Test
    void assemblesFromPublicLayoutsAndBehavesIdentically() throws Exception {
        CalicoConfig cfg = CalicoConfig.calicoTiny();
        try (CalicoModel src = new CalicoModel(cfg, WordTokenizer.tinyDefault(), DType.F32, Dev.CPU);
             PointerScope s = new PointerScope()) {
            src.initRandom(11);
            // make CEM/CAM non-trivial so that their own file matters
            try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                src.cem.outProj.weight.t().normal_(0, 0.05, new org.bytedeco.pytorch.GeneratorOptional());
                for (var c : src.cams) c.fReintegration.weight.t().normal_(0, 0.05, new org.bytedeco.pytorch.GeneratorOptional());
            }
            Map<String, Tensor> glamm = new LinkedHashMap<>(), blip = new LinkedHashMap<>(), dino = new LinkedHashMap<>(), own = new LinkedHashMap<>();
            export(src.llm, LlamaForCausalLM.HF, glamm);
            export(src.textHiddenFcs, KeyMapping.prefixed("model.text_hidden_fcs."), glamm);
            export(src.sam, SamMappings.GLAMM, glamm);
            glamm.put("model.mm_projector.0.weight", src.textHiddenFcs.fc1.weight.t()); // an unrelated GLaMM key, ignored
            export(src.blip2, Blip2ImageEncoder.HF, blip);
            export(src.dino, Dinov2.ORIGINAL, dino);
            export(src.cem, KeyMapping.prefixed("cem."), own);
            for (int i = 0; i < src.cams.size(); i++) export(src.cams.get(i), KeyMapping.prefixed("cam." + i + "."), own);
            SafeTensors.write(tmp.resolve("glamm.safetensors"), glamm);
            SafeTensors.write(tmp.resolve("blip2.safetensors"), blip);
            SafeTensors.write(tmp.resolve("dino.safetensors"), dino);
            SafeTensors.write(tmp.resolve("calico.safetensors"), own);

            CalicoModel fresh = new CalicoModel(cfg, WordTokenizer.tinyDefault(), DType.F32, Dev.CPU);
            CalicoAssembler a = new CalicoAssembler(fresh).glamm(tmp.resolve("glamm.safetensors")).blip2(tmp.resolve("blip2.safetensors"))
                    .dinov2(tmp.resolve("dino.safetensors")).calico(tmp.resolve("calico.safetensors"));
            try (CalicoModel m = a.build()) {
                assertTrue(a.reports().keySet().containsAll(List.of("llm", "sam", "text_hidden_fcs", "blip2", "dino", "cem", "cam.0", "cam.1")), a.reports().keySet().toString());
                assertTrue(a.reports().get("llm").ignored().contains("model.mm_projector.0.weight"));
                assertTrue(a.reports().get("llm").unexpected().isEmpty());
                var imgs = CalicoModelTest.images(2);
                try (CoSegmenter s1 = CoSegmenter.builder().model(src).maxNewTokens(12).build();
                     CoSegmenter s2 = CoSegmenter.builder().model(m).maxNewTokens(12).build()) {
                    CoSegmentation r1 = s1.segment(imgs, Task.COMMON_PARTS), r2 = s2.segment(imgs, Task.COMMON_PARTS);
                    assertEquals(r1, r2);
                }
            }

            // a mis-shaped component is refused with a report, and an incomplete assembly is refused
            Map<String, Tensor> bad = new LinkedHashMap<>(dino);
            bad.put("pos_embed", org.calico.tensor.T.zeros(1, 3, 96));
            SafeTensors.write(tmp.resolve("bad.safetensors"), bad);
            try (CalicoModel f2 = new CalicoModel(cfg, WordTokenizer.tinyDefault(), DType.F32, Dev.CPU)) {
                ModuleLoadException e = assertThrows(ModuleLoadException.class, () -> new CalicoAssembler(f2).dinov2(tmp.resolve("bad.safetensors")));
                assertTrue(e.getMessage().contains("pos_embed"), e.getMessage());
                IllegalStateException inc = assertThrows(IllegalStateException.class,
                        () -> new CalicoAssembler(f2).glamm(tmp.resolve("glamm.safetensors")).build());
                assertTrue(inc.getMessage().contains("blip2") && inc.getMessage().contains("dino"), inc.getMessage());
            }
        }
    }

    @Test
    void mappingFileMapsAWholeCheckpoint() throws Exception {
        CalicoConfig cfg = CalicoConfig.calicoTiny();
        try (CalicoModel src = new CalicoModel(cfg, WordTokenizer.tinyDefault(), DType.F32, Dev.CPU); PointerScope s = new PointerScope()) {
            src.initRandom(3);
            Map<String, Tensor> merged = new LinkedHashMap<>();
            for (var e : src.stateDict().entrySet()) merged.put("base_model." + e.getKey().replaceFirst("^sam\\.", "grounding."), e.getValue());
            SafeTensors.write(tmp.resolve("merged.safetensors"), merged);
            Files.writeString(tmp.resolve("map.json"), "{\"name\": \"test merged\", \"rename\": [[\"^sam\\\\.\", \"grounding.\"]], \"prefix\": \"base_model.\"}");
            try (CalicoModel m = new CalicoAssembler(new CalicoModel(cfg, WordTokenizer.tinyDefault(), DType.F32, Dev.CPU))
                    .mapped(tmp.resolve("merged.safetensors"), tmp.resolve("map.json")).build()) {
                assertEquals(0.0, org.calico.tensor.T.maxAbsDiff(src.sam.maskDecoder.iouToken.weight.t(), m.sam.maskDecoder.iouToken.weight.t()));
            }
            Files.writeString(tmp.resolve("typo.json"), "{\"renames\": []}");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> org.calico.nn.KeyMappingFile.read(tmp.resolve("typo.json")));
            assertTrue(e.getMessage().contains("unknown field 'renames'"), e.getMessage());
        }
    }
}
