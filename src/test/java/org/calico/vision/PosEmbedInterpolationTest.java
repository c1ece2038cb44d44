package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** {@link PosEmbedInterpolation} against torch 2.13 F.interpolate(mode="bicubic") (scripts/gen_vision_fixtures.py). */
class PosEmbedInterpolationTest {
    @Test
    void matchesTorchInterpolateForManySizes() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile f = SafeTensorsFile.open(VisionTestSupport.resource("pos_interp.safetensors"))) {
            Tensor grid = f.load("grid").select(0, 0).permute(1, 2, 0); // [37, 37, C]
            int n = 0;
            for (String key : f.names()) {
                if (key.equals("grid")) continue;
                String[] p = key.split("\\.");
                boolean sf = p[0].equals("sf"), aa = p[1].equals("1");
                String[] hw = p[2].split("x");
                int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
                Tensor got = PosEmbedInterpolation.resize(grid, h, w, sf ? (h + 0.1) / 37 : 0, sf ? (w + 0.1) / 37 : 0, aa).permute(2, 0, 1);
                Tensor exp = f.load(key).select(0, 0);
                double err = T.maxAbsDiff(got, exp);
                // antialiased (the DINOv2-reg path): float rounding only. Plain bicubic: aten's own float evaluation of
                // the source index differs from ours by up to ~1.3e-6 per tap weight (measured), times |values| ~4.
                double tol = aa ? 2e-6 : 2e-5;
                assertTrue(err < tol, key + ": max abs err " + err);
                n++;
            }
            assertEquals(18, n);
        }
    }

    @Test
    void weightRowsSumToOne() {
        for (boolean aa : new boolean[] {true, false}) {
            for (int[] io : new int[][] {{37, 16}, {7, 9}, {5, 3}, {3, 11}}) {
                double[] w = PosEmbedInterpolation.weights(io[0], io[1], 0, aa);
                for (int i = 0; i < io[1]; i++) {
                    double sum = 0;
                    for (int j = 0; j < io[0]; j++) sum += w[i * io[0] + j];
                    assertEquals(1.0, sum, 1e-6, "row " + i + " of " + io[0] + "->" + io[1] + " aa=" + aa);
                }
            }
        }
        // identity size: each output copies its input
        double[] id = PosEmbedInterpolation.weights(6, 6, 0, true);
        for (int i = 0; i < 6; i++) assertEquals(1.0, id[i * 6 + i], 0.0);
    }
}
