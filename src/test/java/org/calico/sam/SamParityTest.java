package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.io.SafeTensorsFile;
import org.calico.nn.KeyMapping;
import org.calico.parity.ParityCase;
import org.calico.parity.ParityResult;
import org.calico.parity.ParityRunner;
import org.calico.tensor.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The upstream SAM parity fixtures (../shared/parity/sam_*), plus their debug tensors. */
class SamParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"sam_image_encoder", "sam_prompt_encoder_points", "sam_prompt_encoder_box", "sam_prompt_encoder_mask",
            "sam_prompt_encoder_all", "sam_mask_decoder", "sam_predictor"})
    void passesUpstreamFixture(String name) {
        Path d = TestSupport.parityCase(name);
        Assumptions.assumeTrue(d != null, "parity fixtures not present");
        ParityResult r = new ParityRunner(List.of(new SamParity())).run(d);
        assertEquals(ParityResult.Status.PASS, r.status(), r.line());
        // upstream's own float32 error is < 1e-5; we are at most a few times that (tolerance: 1e-4 + 1e-3 |x|)
        assertTrue(r.maxAbsErr() < 5e-5, r.line());
    }

    @Test
    void imageEncoderBlockOutputsMatchUpstream() {
        Path d = TestSupport.parityCase("sam_image_encoder");
        Assumptions.assumeTrue(d != null);
        ParityCase c = ParityCase.read(d);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             ImageEncoderViT enc = new ImageEncoderViT(SamParity.imageEncoderConfig(c.config(), c.name()))) {
            assertEquals(1e-6, enc.config.layerNormEps());
            enc.load(w, KeyMapping.identity());
            List<Tensor> blocks = new ArrayList<>();
            enc.forward(io.load("x"), blocks);
            assertEquals(4, blocks.size());
            for (int i = 0; i < 4; i++) {
                double err = T.maxAbsDiff(blocks.get(i), io.load("debug.block_out." + i));
                assertTrue(err < 2e-5, "block " + i + " max abs err " + err);
            }
        }
    }

    @Test
    void predictorPromptTransformIsBitExact() {
        Path d = TestSupport.parityCase("sam_predictor");
        Assumptions.assumeTrue(d != null);
        try (PointerScope s = new PointerScope(); SafeTensorsFile io = SafeTensorsFile.open(d.resolve("io.safetensors"))) {
            float[] pc = T.toFloats(io.load("point_coords")), box = T.toFloats(io.load("box"));
            double[] pts = new double[pc.length], bx = new double[4];
            for (int i = 0; i < pc.length; i++) pts[i] = pc[i];
            for (int i = 0; i < 4; i++) bx[i] = box[i];
            ResizeLongestSide t = new ResizeLongestSide(256);
            assertArrayEquals(new int[] {256, 192}, ResizeLongestSide.preprocessShape(200, 150, 256));
            assertArrayEquals(T.toFloats(io.load("debug.point_coords_transformed")), t.applyCoords(pts, 200, 150));
            assertArrayEquals(T.toFloats(io.load("debug.box_transformed")), t.applyBoxes(bx, 200, 150));
        }
    }
}
