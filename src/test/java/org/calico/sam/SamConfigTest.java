package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Released configs against the spec's parameter counts (model-reference.md §1.1), small configs, validation. */
class SamConfigTest {
    @Test
    void releasedParameterCountsMatchTheSpec() {
        // the spec's counts are state-dict sums (they include the 2 x 128 PE buffer)
        assertEquals(93_735_728L, SamConfig.vitB().stateDictElements());
        assertEquals(641_090_864L, SamConfig.vitH().stateDictElements());
        assertEquals(93_735_728L - 256, SamConfig.vitB().parameterCount());
        assertEquals(6_476L - 256, SamConfig.vitH().promptEncoder().parameterCount());
        assertEquals(4_058_340L, SamConfig.vitH().maskDecoder().parameterCount());
        assertEquals(List.of(5, 11, 17, 23), SamConfig.vitL().imageEncoder().globalAttnIndexes());
        assertEquals(14, SamConfig.vitH().imageEncoder().windowSize());
        assertEquals(80, SamConfig.vitH().imageEncoder().headDim());
        assertEquals(SamConfig.vitH(), SamConfig.named("default"));
    }

    @Test
    void vitBModuleHasTheSpecsTensorsAndCount() {
        try (SamModel m = new SamModel(SamConfig.vitB())) {
            assertEquals(314, m.namedParams().size());          // model-reference.md §1.6: 314 tensors incl. the PE buffer
            assertEquals(93_735_728L - 256, m.parameterCount());
            long all = 0;
            for (var p : m.namedParams().values()) all += p.numel();
            assertEquals(93_735_728L, all);
            assertEquals(List.of(27L, 64L), List.of(m.namedParams().get("image_encoder.blocks.0.attn.rel_pos_h").shape()[0],
                    m.namedParams().get("image_encoder.blocks.0.attn.rel_pos_h").shape()[1]));
            assertEquals(127L, m.namedParams().get("image_encoder.blocks.2.attn.rel_pos_h").shape()[0]);
            assertEquals(List.of(256L, 64L, 2L, 2L), java.util.Arrays.stream(
                    m.namedParams().get("mask_decoder.output_upscaling.0.weight").shape()).boxed().toList());
        }
    }

    @Test
    void smallConfigsCountWhatTheModulesHold() {
        for (SamConfig c : List.of(SamTestModels.tiny(), SamTestModels.small128())) {
            try (SamModel m = new SamModel(c)) {
                assertEquals(c.parameterCount(), m.parameterCount(), c.toString());
            }
        }
        SamConfig deepIou = SamConfig.of(SamTestModels.tiny().imageEncoder(), new MaskDecoderConfig(32, 1, 48, 2, 4, 2, 5, 24), 8);
        try (SamModel m = new SamModel(deepIou)) {
            assertEquals(deepIou.parameterCount(), m.parameterCount());
        }
    }

    @Test
    void invalidConfigsAreRejectedWithTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamConfig.small(100, 16, 64, 2, 4, 4, List.of(1), 64, 128, 4));
        assertEquals("image encoder: img_size 100 is not a multiple of patch_size 16", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MaskDecoderConfig(60, 2, 128, 4, 2, 3, 3, 60));
        assertTrue(e.getMessage().startsWith("mask decoder: transformer_dim must be a positive multiple of 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SamConfig.small(64, 8, 30, 2, 4, 4, List.of(1), 32, 64, 4));
        assertEquals("image encoder: embed_dim 30 is not divisible by num_heads 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SamConfig.small(64, 8, 32, 2, 4, 4, List.of(2), 32, 64, 4));
        assertEquals("image encoder: global_attn_indexes entry 2 is outside 0..1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SamConfig.named("vit_x"));
        assertEquals("unknown SAM model 'vit_x' (known: vit_b, vit_l, vit_h)", e.getMessage());
    }
}
