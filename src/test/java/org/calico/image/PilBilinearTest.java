package org.calico.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.calico.TestSupport;
import org.calico.io.SafeTensorsFile;
import org.calico.tensor.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** PIL bilinear resize, bit for bit, against Pillow 12.3 (generated fixture) and Pillow 9.4 (the SAM predictor fixture). */
class PilBilinearTest {
    /** Same formula as scripts/sam/make_test_fixtures.py pattern(). */
    static byte[] pattern(int h, int w, int seed) {
        byte[] out = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    long v = ((long) x * x * (7 + c) + (long) y * (31 + 2 * seed) + (long) x * y * (3 + c) + c * 101L + seed * 17L) % 256;
                    if ((x / 5 + y / 7 + seed) % 3 == 0) v = 255 - v;
                    out[(y * w + x) * 3 + c] = (byte) v;
                }
        return out;
    }

    static final int[][] CASES = {
        {200, 150, 256, 192}, {150, 230, 167, 256}, {97, 61, 40, 25}, {13, 9, 64, 44}, {300, 40, 30, 4},
        {1, 50, 1, 20}, {50, 1, 20, 1}, {64, 48, 64, 80}, {33, 1000, 8, 256},
    };

    @Test
    void matchesPillowBitExactlyOnDownUpAndOneAxisResizes() throws Exception {
        Path f = Path.of(getClass().getResource("/org/calico/image/pil_resize.safetensors").toURI());
        try (SafeTensorsFile st = SafeTensorsFile.open(f); PointerScope s = new PointerScope()) {
            for (int i = 0; i < CASES.length; i++) {
                int[] c = CASES[i];
                RgbImage in = new RgbImage(c[0], c[1], pattern(c[0], c[1], i));
                RgbImage out = PilResample.resize(in, c[2], c[3], PilResample.Filter.BILINEAR);
                assertEquals(c[2], out.height());
                assertEquals(c[3], out.width());
                byte[] expected = T.toBytes(st.load("case" + i));
                int diff = 0;
                byte[] got = out.hwc();
                for (int k = 0; k < got.length; k++) if (got[k] != expected[k]) diff++;
                assertEquals(0, diff, "case " + i + " " + java.util.Arrays.toString(c) + ": " + diff + " bytes differ from Pillow");
            }
        }
    }

    @Test
    void reproducesThePredictorFixtureResizeFromPillow94() {
        Path d = TestSupport.parityCase("sam_predictor");
        Assumptions.assumeTrue(d != null);
        try (SafeTensorsFile io = SafeTensorsFile.open(d.resolve("io.safetensors")); PointerScope s = new PointerScope()) {
            var img = io.load("image");
            RgbImage in = new RgbImage((int) img.size(0), (int) img.size(1), T.toBytes(img));
            RgbImage out = PilResample.resize(in, 256, 192, PilResample.Filter.BILINEAR);
            assertArrayEquals(T.toBytes(io.load("debug.resized_image")), out.hwc());
        }
    }

    @Test
    void sameSizeIsIdentityAndBadSizesAreRejected() {
        RgbImage in = new RgbImage(4, 5, pattern(4, 5, 0));
        assertSame(in, PilResample.resize(in, 4, 5, PilResample.Filter.BILINEAR));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PilResample.resize(in, 0, 5, PilResample.Filter.BILINEAR));
        assertEquals("resize target must be positive, got 0x5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PilResample.resize(new byte[10], 2, 2, 3, 1, 1, PilResample.Filter.BILINEAR));
    }
}
