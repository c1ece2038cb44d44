package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** CEM: identity at zero initialisation, the attention against an explicit formula, DINOv2 descriptors, checks. */
class CemTest {
    @Test
    void zeroInitialisedCemLeavesEvaFeaturesBitIdentical() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
                 Cem cem = new Cem(new CemConfig(64, 48, 4, -1, DinoFacet.TOKEN, true, 1e-6), dt, Dev.CPU)) {
                cem.initRandom(3);
                T.seed(4);
                Tensor x = T.to(VisionTestSupport.randn(2, 17, 64).mul(T.s(3)), dt);
                Tensor sem = T.to(VisionTestSupport.randn(2, 16, 48), dt);
                Tensor y = cem.forward(x, sem);
                assertTrue(VisionTestSupport.bitEqual(x, y), "dtype " + dt);
                // the other weights are not zero: only out_proj makes it the identity
                assertTrue(T.item(cem.qProj.weight.t().abs().sum()) > 0);
            }
        }
    }

    @Test
    void attentionMatchesExplicitFormulaAndResidual() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             Cem cem = new Cem(new CemConfig(64, 48, 4, -1, DinoFacet.TOKEN, true, 1e-6), DType.F32, Dev.CPU)) {
            cem.initRandom(7);
            for (Param p : java.util.List.of(cem.outProj.weight, cem.outProj.bias)) p.t().normal_(0.0, 0.1, new org.bytedeco.pytorch.GeneratorOptional());
            Tensor x = VisionTestSupport.randn(2, 17, 64), sem = VisionTestSupport.randn(2, 16, 48);
            Tensor y = cem.forward(x, sem);
            assertArrayEquals(new long[] {2, 17, 64}, T.shape(y));
            assertFalse(VisionTestSupport.bitEqual(x, y));
            // explicit: per head h of 16 channels, softmax(q_h k_h^T / 4) v_h
            Tensor qn = T.layerNorm(x, cem.normQ.weight.t(), cem.normQ.bias.t(), 1e-6);
            Tensor kn = T.layerNorm(sem, cem.normKv.weight.t(), cem.normKv.bias.t(), 1e-6);
            Tensor q = T.linear(qn, cem.qProj.weight.t(), cem.qProj.bias.t());
            Tensor k = T.linear(kn, cem.kProj.weight.t(), cem.kProj.bias.t());
            Tensor v = T.linear(kn, cem.vProj.weight.t(), cem.vProj.bias.t());
            Tensor[] heads = new Tensor[4];
            for (int h = 0; h < 4; h++) {
                Tensor qh = q.narrow(2, h * 16L, 16), kh = k.narrow(2, h * 16L, 16), vh = v.narrow(2, h * 16L, 16);
                Tensor a = T.softmax(T.matmul(qh, kh.transpose(1, 2)).mul(T.s(0.25)), -1);
                heads[h] = T.matmul(a, vh);
            }
            Tensor ctx = T.cat(2, heads);
            Tensor exp = T.add(x, T.linear(ctx, cem.outProj.weight.t(), cem.outProj.bias.t()));
            assertTrue(T.maxAbsDiff(y, exp) < 1e-5, "err " + T.maxAbsDiff(y, exp));
        }
    }

    @Test
    void semanticFeaturesFollowTheConfiguredLayerAndFacet() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             Dinov2 dino = new Dinov2(Dinov2Config.tiny(), DType.F32, Dev.CPU);
             Cem last = new Cem(CemConfig.tiny(), DType.F32, Dev.CPU);
             Cem key0 = new Cem(CemConfig.tiny().withDino(0, DinoFacet.KEY), DType.F32, Dev.CPU)) {
            dino.initRandom(2);
            last.initRandom(2);
            key0.initRandom(2);
            Tensor px = VisionTestSupport.randn(2, 3, 32, 32);
            Tensor a = last.semanticFeatures(dino, px);
            assertTrue(VisionTestSupport.bitEqual(a, dino.forwardFeatures(px).patchTokens()));
            Tensor b = key0.semanticFeatures(dino, px);
            assertTrue(VisionTestSupport.bitEqual(b, dino.patches(dino.blocks.get(0).keys(dino.prepareTokens(px)))));
            assertArrayEquals(new long[] {2, 16, 64}, T.shape(b));
            // CEM over EVA tiny features
            Tensor x = VisionTestSupport.randn(2, 17, 64);
            assertArrayEquals(new long[] {2, 17, 64}, T.shape(last.forward(x, a)));
        }
    }

    @Test
    void shapeChecksAndSizes() {
        try (PointerScope s = new PointerScope(); Cem cem = new Cem(CemConfig.tiny(), DType.F32, Dev.CPU)) {
            cem.initRandom(1);
            var e = assertThrows(IllegalArgumentException.class, () -> cem.forward(VisionTestSupport.randn(2, 17, 64), VisionTestSupport.randn(3, 16, 64)));
            assertTrue(e.getMessage().contains("batch"), e.getMessage());
            var w = assertThrows(IllegalArgumentException.class, () -> cem.forward(VisionTestSupport.randn(2, 17, 64), VisionTestSupport.randn(2, 16, 32)));
            assertTrue(w.getMessage().contains("[B, T, 64]"), w.getMessage());
        }
        try (Cem real = new Cem(CemConfig.calico(), DType.BF16, Dev.CPU)) {
            long c = 1408, d = 1024;
            assertEquals(2 * c + 2 * d + 2 * (c * c + c) + 2 * (d * c + c), real.parameterCount());
        }
    }
}
