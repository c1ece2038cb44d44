package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** Both CPU attention paths (fused SDPA and the explicit form) agree with each other and with a textbook loop. */
class VisionOpsTest {
    @Test
    void explicitAttentionMatchesSdpaAndReference() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(9);
            Tensor q = VisionTestSupport.randn(2, 3, 5, 8), k = VisionTestSupport.randn(2, 3, 7, 8), v = VisionTestSupport.randn(2, 3, 7, 8);
            Tensor a = VisionOps.attendExplicit(q, k, v), b = T.sdpa(q, k, v);
            assertArrayEquals(new long[] {2, 3, 5, 8}, T.shape(a));
            assertTrue(T.maxAbsDiff(a, b) < 1e-6, "explicit vs sdpa " + T.maxAbsDiff(a, b));
            // one element by hand: batch 1, head 2, query 4
            float[] qf = T.toFloats(q.select(0, 1).select(0, 2).select(0, 4)), out = T.toFloats(a.select(0, 1).select(0, 2).select(0, 4));
            float[] kf = T.toFloats(k.select(0, 1).select(0, 2)), vf = T.toFloats(v.select(0, 1).select(0, 2));
            double[] w = new double[7];
            double max = -1e30, sum = 0;
            for (int j = 0; j < 7; j++) {
                for (int c = 0; c < 8; c++) w[j] += qf[c] * kf[j * 8 + c] / Math.sqrt(8);
                max = Math.max(max, w[j]);
            }
            for (int j = 0; j < 7; j++) sum += w[j] = Math.exp(w[j] - max);
            for (int c = 0; c < 8; c++) {
                double o = 0;
                for (int j = 0; j < 7; j++) o += w[j] / sum * vf[j * 8 + c];
                assertEquals(o, out[c], 1e-5);
            }
            Tensor bf = VisionOps.attendExplicit(T.to(q, DType.BF16), T.to(k, DType.BF16), T.to(v, DType.BF16));
            assertEquals(DType.BF16, T.dtype(bf));
            assertTrue(T.maxAbsDiff(bf, a) < 0.05, "bf16 " + T.maxAbsDiff(bf, a));
            assertTrue(T.maxAbsDiff(VisionOps.attend(q, k, v), b) < 1e-6);
        }
    }
}
