package org.calico.vision;

import org.calico.image.PilResample;

import org.calico.image.RgbImage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.io.SafeTensorsFile;
import org.calico.tensor.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link PilResample} and {@link ImagePreprocessor} against Pillow 12.3 / torch (scripts/gen_vision_fixtures.py). */
class PilResampleTest {
    private static final List<String> CASES = List.of("up", "down", "mixed", "hOnly", "vOnly", "to224");

    @Test
    void matchesPillowBitExactly() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile f = SafeTensorsFile.open(VisionTestSupport.resource("pil_resize.safetensors"))) {
            int checked = 0;
            for (String c : CASES) {
                Tensor src = f.load("src." + c);
                for (PilResample.Filter flt : PilResample.Filter.values()) {
                    String key = "out." + c + "." + flt.name().toLowerCase(java.util.Locale.ROOT);
                    if (!f.contains(key)) continue;
                    Tensor exp = f.load(key);
                    byte[] got = PilResample.resize(T.toBytes(src), (int) src.size(0), (int) src.size(1), 3, (int) exp.size(0), (int) exp.size(1), flt);
                    assertArrayEquals(T.toBytes(exp), got, key);
                    checked++;
                }
            }
            assertEquals(11, checked);
        }
    }

    @Test
    void matchesSamPredictorResizedImage() {
        Path dir = TestSupport.parityCase("sam_predictor");
        Assumptions.assumeTrue(dir != null && dir.toFile().isDirectory(), "parity fixtures not present");
        try (PointerScope s = new PointerScope(); SafeTensorsFile io = SafeTensorsFile.open(dir.resolve("io.safetensors"))) {
            Tensor img = io.load("image"), exp = io.load("debug.resized_image");
            byte[] got = PilResample.resize(T.toBytes(img), 200, 150, 3, 256, 192, PilResample.Filter.BILINEAR);
            assertArrayEquals(T.toBytes(exp), got);
        }
    }

    @Test
    void normalisationMatchesTorch() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile f = SafeTensorsFile.open(VisionTestSupport.resource("pil_resize.safetensors"))) {
            Tensor src = f.load("src.up");
            RgbImage img = new RgbImage(29, 23, T.toBytes(src));
            var clip = new ImagePreprocessor(64, 48, PilResample.Filter.BICUBIC, ImagePreprocessor.CLIP_MEAN, ImagePreprocessor.CLIP_STD);
            var inet = new ImagePreprocessor(64, 48, PilResample.Filter.BICUBIC, ImagePreprocessor.IMAGENET_MEAN, ImagePreprocessor.IMAGENET_STD);
            Tensor a = clip.apply(List.of(img, img));
            assertArrayEquals(new long[] {2, 3, 64, 48}, T.shape(a));
            assertTrue(T.maxAbsDiff(a.select(0, 1), f.load("norm.up.clip")) <= 1e-6, "clip " + T.maxAbsDiff(a.select(0, 1), f.load("norm.up.clip")));
            assertTrue(T.maxAbsDiff(inet.apply(img).select(0, 0), f.load("norm.up.imagenet")) <= 1e-6);
            assertEquals(224, ImagePreprocessor.blip2().height());
            assertEquals(224, ImagePreprocessor.dinov2().width());
        }
    }

    @Test
    void badInputIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RgbImage(2, 2, new byte[10]));
        assertTrue(e.getMessage().contains("2x2x3 needs 12"), e.getMessage());
        var r = assertThrows(IllegalArgumentException.class, () -> PilResample.resize(new byte[12], 2, 2, 3, 0, 4, PilResample.Filter.BICUBIC));
        assertTrue(r.getMessage().contains("positive"), r.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 4, new byte[12]));
    }

    @Test
    void identitySizeIsACopy() {
        byte[] src = {1, 2, 3, 4, 5, 6};
        byte[] out = PilResample.resize(src, 1, 2, 3, 1, 2, PilResample.Filter.BICUBIC);
        assertArrayEquals(src, out);
        assertTrue(out != src);
    }
}
