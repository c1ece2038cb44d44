package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.StateDict;
import org.calico.nn.KeyMapping;
import org.calico.nn.LoadReport;
import org.calico.nn.ModuleLoadException;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** ORIGINAL / GLaMM / HF name tables: exact HF names, round trips through renamed state dicts, detection, errors. */
class SamMappingsTest {
    /** The small config whose HF names tests/resources/org/calico/sam/hf_sam_keys.txt lists (transformers 5.18). */
    static SamConfig hfSmall() {
        ImageEncoderConfig enc = new ImageEncoderConfig(256, 16, 3, 64, 2, 4, 4.0, 256, true, true, true, 4, List.of(1), 1e-6);
        return SamConfig.of(enc, MaskDecoderConfig.released(), 16);
    }

    @Test
    void hfMappingProducesExactlyTransformersSamModelNamesAndShapes() throws Exception {
        Map<String, String> hf = new TreeMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("/org/calico/sam/hf_sam_keys.txt"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] p = line.split(" ");
                hf.put(p[0], p[1]);
            }
        }
        try (SamModel m = new SamModel(hfSmall())) {
            Map<String, String> mine = new TreeMap<>();
            for (Map.Entry<String, Param> e : m.namedParams().entrySet()) {
                String key = SamMappings.HF.resolve(e.getKey()).sourceKeys().get(0);
                String shape = String.join(",", Arrays.stream(e.getValue().shape()).mapToObj(Long::toString).toList());
                assertNull(mine.put(key, shape), "two module keys map to " + key);
            }
            // HF holds the Gaussian matrix twice (tied); we read the top-level one and the table ignores the other
            String dup = "prompt_encoder.shared_embedding.positional_embedding";
            assertTrue(SamMappings.HF.isIgnored(dup));
            assertEquals(hf.remove(dup), mine.get("shared_image_embedding.positional_embedding"));
            assertEquals(hf, mine);
        }
    }

    @Test
    void everyFormatRoundTripsThroughARenamedStateDict() {
        SamConfig cfg = SamTestModels.tiny();
        try (SamModel src = new SamModel(cfg)) {
            src.initRandom(11);
            for (KeyMapping mapping : List.of(SamMappings.ORIGINAL, SamMappings.GLAMM, SamMappings.HF)) {
                try (PointerScope s = new PointerScope()) {
                    Map<String, Tensor> extra = mapping == SamMappings.GLAMM
                            ? Map.of("model.embed_tokens.weight", T.zeros(5, 4), "lm_head.weight", T.zeros(5, 4),
                                     "model.text_hidden_fcs.0.0.weight", T.zeros(3, 3))
                            : mapping == SamMappings.HF ? Map.of("prompt_encoder.shared_embedding.positional_embedding",
                                     src.promptEncoder.peLayer.gaussian.t().clone()) : Map.of();
                    try (StateDict sd = SamTestModels.renamed(src, mapping, extra)) {
                        assertSame(mapping, SamMappings.detect(sd));
                        assertEquals(cfg, SamConfig.inferFrom(sd, mapping, 4), "config read back from " + mapping.name());
                        assertEquals(8, SamConfig.inferFrom(sd, mapping).maskDecoder().numHeads());  // build_sam default
                        try (SamModel dst = new SamModel(cfg)) {
                            LoadReport rep = dst.load(sd, mapping);
                            assertEquals(src.namedParams().size(), rep.loaded().size());
                            assertEquals(extra.size(), rep.ignored().size(), rep.toString());
                            for (Map.Entry<String, Param> e : src.namedParams().entrySet())
                                assertEquals(0.0, T.maxAbsDiff(e.getValue().t(), dst.namedParams().get(e.getKey()).t()), e.getKey());
                        }
                    }
                }
            }
        }
    }

    @Test
    void glammNamesAreThePrefixedOriginalNames() {
        assertEquals("model.grounding_encoder.mask_decoder.transformer.layers.0.norm1.weight",
                SamMappings.GLAMM.resolve("mask_decoder.transformer.layers.0.norm1.weight").sourceKeys().get(0));
        assertTrue(SamMappings.GLAMM.isIgnored("model.layers.0.self_attn.q_proj.weight"));
        assertTrue(!SamMappings.GLAMM.isIgnored("model.grounding_encoder.image_encoder.pos_embed"));
        assertEquals("mask_decoder.iou_prediction_head.proj_out.bias",
                SamMappings.HF.resolve("mask_decoder.iou_prediction_head.layers.2.bias").sourceKeys().get(0));
        assertEquals("mask_decoder.output_hypernetworks_mlps.3.layers.0.weight",
                SamMappings.HF.resolve("mask_decoder.output_hypernetworks_mlps.3.layers.1.weight").sourceKeys().get(0));
        // a deeper IoU head: layers.0 -> proj_in, 1..n-2 -> layers.0..n-3, n-1 -> proj_out
        KeyMapping hf5 = SamMappings.hf(5);
        assertEquals("mask_decoder.iou_prediction_head.layers.2.weight", hf5.resolve("mask_decoder.iou_prediction_head.layers.3.weight").sourceKeys().get(0));
        assertEquals("mask_decoder.iou_prediction_head.proj_out.weight", hf5.resolve("mask_decoder.iou_prediction_head.layers.4.weight").sourceKeys().get(0));
    }

    @Test
    void wrongCheckpointsFailWithTheProblemNamed() {
        SamConfig cfg = SamTestModels.tiny();
        try (PointerScope s = new PointerScope(); StateDict junk = new StateDict("junk.safetensors")) {
            junk.put("model.embed_tokens.weight", T.zeros(4, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SamMappings.detectOrThrow(junk));
            assertTrue(e.getMessage().startsWith("junk.safetensors: not a SAM checkpoint: none of image_encoder.pos_embed"), e.getMessage());
            // a checkpoint of another size: shape mismatch reported, nothing loaded
            try (SamModel other = new SamModel(SamTestModels.small128()); SamModel m = new SamModel(cfg)) {
                other.initRandom(1);
                try (StateDict sd = SamTestModels.renamed(other, SamMappings.ORIGINAL, Map.of())) {
                    ModuleLoadException ex = assertThrows(ModuleLoadException.class, () -> m.load(sd, SamMappings.ORIGINAL));
                    assertTrue(ex.getMessage().contains("image_encoder.pos_embed: model [1, 8, 8, 32], checkpoint [1, 16, 16, 64]"), ex.getMessage());
                    assertTrue(!m.isReady());
                }
            }
        }
    }

    @Test
    void mappingsByName() {
        assertSame(SamMappings.HF, SamMappings.named("hf"));
        assertSame(SamMappings.GLAMM, SamMappings.named("GLaMM"));
        assertSame(SamMappings.ORIGINAL, SamMappings.named("original"));
        assertEquals("unknown SAM checkpoint mapping 'lavis' (known: original, glamm, hf)",
                assertThrows(IllegalArgumentException.class, () -> SamMappings.named("lavis")).getMessage());
        assertEquals(DType.F32, new SamModel(SamTestModels.tiny(), DType.F32, Dev.CPU).dtype());
    }
}
