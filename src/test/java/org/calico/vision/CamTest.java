package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.StateDict;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CAM: identity at zero initialisation, only image spans change, batched == per row, Cheetah/BLIP-2 loading. */
class CamTest {
    static final int D = 48, NQ = 8;
    QFormer qformer;
    Cam cam;

    @BeforeEach
    void setUp() {
        qformer = new QFormer(QFormerConfig.tiny(), DType.F32, Dev.CPU);
        qformer.initRandom(21);
        cam = new Cam(CamConfig.forQFormer(D, QFormerConfig.tiny()), qformer, DType.F32, Dev.CPU);
        cam.initRandom(22);
    }

    @AfterEach
    void tearDown() {
        cam.close();
        qformer.close();
    }

    void randomiseProjections() {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : List.of(cam.fAdaptation.weight, cam.fAdaptation.bias, cam.fReintegration.weight, cam.fReintegration.bias))
                p.t().normal_(0.0, 0.2, new GeneratorOptional());
        }
    }

    // row 0: images at 2..9 and 12..19 ; row 1: one image at 5..12 (its second fused image is padding)
    static final ImageSpans SPANS = ImageSpans.of(new long[] {2, NQ, 12, NQ}, new long[] {5, NQ});
    static final long[] LAST = {23, 17};

    @Test
    void zeroInitialisedCamReturnsHiddenBitIdentical() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(1);
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            assertTrue(VisionTestSupport.bitEqual(hidden, cam.inject(hidden, LAST, SPANS, fused)));
            Tensor hb = T.to(hidden, DType.BF16);
            assertTrue(VisionTestSupport.bitEqual(hb, cam.inject(hb, LAST, SPANS, fused)));
        }
    }

    @Test
    void nonZeroCamChangesOnlyImageSpansByTheVpgcFormula() {
        randomiseProjections();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(2);
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            Tensor out = cam.inject(hidden, LAST, SPANS, fused);
            assertArrayEquals(new long[] {2, 24, D}, T.shape(out));
            for (int b = 0; b < 2; b++) {
                for (int p = 0; p < 24; p++) {
                    boolean inSpan = false;
                    int image = -1;
                    List<ImageSpans.Span> row = SPANS.row(b);
                    for (int i = 0; i < row.size(); i++)
                        if (p >= row.get(i).start() && p < row.get(i).end()) { inSpan = true; image = i; }
                    Tensor got = out.select(0, b).select(0, p), was = hidden.select(0, b).select(0, p);
                    if (!inSpan) assertTrue(VisionTestSupport.bitEqual(got, was), "row " + b + " pos " + p + " changed");
                    else assertTrue(T.maxAbsDiff(got, was) > 1e-3, "row " + b + " pos " + p + " (image " + image + ") unchanged");
                }
            }
            // explicit VPG-C for row 0, image 1
            Tensor h = hidden.select(0, 0).select(0, LAST[0]).reshape(1, D);
            Tensor q = T.add(cam.queryTokens.t(), T.linear(h, cam.fAdaptation.weight.t(), cam.fAdaptation.bias.t()).unsqueeze(1));
            Tensor x = qformer.forward(q, fused.select(0, 0).narrow(0, 1, 1));
            Tensor delta = T.linear(x, cam.fReintegration.weight.t(), cam.fReintegration.bias.t()).reshape(NQ, D);
            Tensor exp = T.add(hidden.select(0, 0).narrow(0, 12, NQ), delta);
            assertTrue(T.maxAbsDiff(out.select(0, 0).narrow(0, 12, NQ), exp) < 1e-5);
        }
    }

    @Test
    void batchedEqualsPerRow() {
        randomiseProjections();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(3);
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            Tensor batched = cam.inject(hidden, LAST, SPANS, fused);
            for (int b = 0; b < 2; b++) {
                Tensor single = cam.inject(hidden.narrow(0, b, 1), new long[] {LAST[b]}, SPANS.select(b), fused.narrow(0, b, 1));
                double err = T.maxAbsDiff(batched.narrow(0, b, 1), single);
                assertTrue(err <= 1e-5, "row " + b + ": " + err); // float rounding of differently blocked GEMMs
            }
        }
    }

    @Test
    void gradientsReachTheTrainableParameters() {
        randomiseProjections();
        cam.setTrainable(k -> true);
        try (PointerScope s = new PointerScope()) {
            T.seed(4);
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            cam.inject(hidden, LAST, SPANS, fused).pow(new org.bytedeco.pytorch.Scalar(2)).sum().backward();
            for (Param p : List.of(cam.fAdaptation.weight, cam.fReintegration.weight, cam.queryTokens)) {
                Tensor gr = p.t().grad();
                assertNotNull(gr);
                assertTrue(gr.defined() && T.item(gr.abs().sum()) > 0, p.name());
            }
        } finally {
            cam.setTrainable(k -> false);
        }
    }

    @Test
    void invalidSpansAndIndicesAreClearErrors() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            var len = assertThrows(IllegalArgumentException.class, () -> cam.inject(hidden, LAST, ImageSpans.of(new long[] {2, 7}, new long[] {5, NQ}), fused));
            assertTrue(len.getMessage().contains("must have length 8"), len.getMessage());
            var ov = assertThrows(IllegalArgumentException.class, () -> cam.inject(hidden, LAST, ImageSpans.of(new long[] {2, NQ, 9, NQ}, new long[] {5, NQ}), fused));
            assertTrue(ov.getMessage().contains("overlap at position 9"), ov.getMessage());
            var end = assertThrows(IllegalArgumentException.class, () -> cam.inject(hidden, LAST, ImageSpans.of(new long[] {20, NQ}, new long[] {5, NQ}), fused));
            assertTrue(end.getMessage().contains("past the sequence length 24"), end.getMessage());
            var li = assertThrows(IllegalArgumentException.class, () -> cam.inject(hidden, new long[] {24, 0}, SPANS, fused));
            assertTrue(li.getMessage().contains("lastInstructionIndex[0] = 24"), li.getMessage());
            var many = assertThrows(IllegalArgumentException.class,
                    () -> cam.inject(hidden, LAST, ImageSpans.of(new long[] {0, NQ, 8, NQ, 16, NQ}, new long[] {5, NQ}), fused));
            assertTrue(many.getMessage().contains("3 image spans but fusedFeatures holds 2"), many.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cam.inject(hidden, LAST, SPANS, VisionTestSupport.randn(2, 2, 17, 32)));
            assertThrows(IllegalArgumentException.class, () -> ImageSpans.of(new long[] {1}));
        }
    }

    @Test
    void cheetahAndBlip2Checkpoints() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             StateDict cheetah = new StateDict("cheetah"); StateDict blip2 = new StateDict("blip2")) {
            T.seed(5);
            Tensor wa = VisionTestSupport.randn(64, D), wr = VisionTestSupport.randn(D, 64), qt = VisionTestSupport.randn(1, NQ, 64);
            cheetah.put("llama_model.model.qformer_proj.weight", wa).put("llama_model.model.qformer_proj.bias", T.zeros(64))
                    .put("llama_model.model.llm_proj.weight", wr).put("llama_model.model.llm_proj.bias", T.ones(DType.F32, Dev.CPU, D))
                    .put("llama_model.model.query_tokens", qt);
            cam.load(cheetah, Cam.CHEETAH);
            assertTrue(VisionTestSupport.bitEqual(cam.fAdaptation.weight.t(), wa));
            assertTrue(VisionTestSupport.bitEqual(cam.fReintegration.weight.t(), wr));
            assertTrue(VisionTestSupport.bitEqual(cam.queryTokens.t(), qt));
            // a fresh CAM from BLIP-2: queries copied, projections zero, the rest of the checkpoint unused
            blip2.put("query_tokens", qt).put("qformer.layernorm.weight", T.ones(DType.F32, Dev.CPU, 64)).put("language_projection.bias", T.zeros(D));
            var r = cam.load(blip2, Cam.FROM_BLIP2);
            assertEquals(4, r.defaulted().size(), r.toString());
            assertEquals(0.0, T.item(cam.fReintegration.weight.t().abs().sum()), 0.0);
            assertTrue(VisionTestSupport.bitEqual(cam.queryTokens.t(), qt));
            Tensor hidden = VisionTestSupport.randn(2, 24, D), fused = VisionTestSupport.randn(2, 2, 17, 64);
            assertTrue(VisionTestSupport.bitEqual(hidden, cam.inject(hidden, LAST, SPANS, fused)));
            randomiseProjections();
            cam.initFromBlip2QueryTokens(qt.mul(T.s(2)));
            assertTrue(VisionTestSupport.bitEqual(hidden, cam.inject(hidden, LAST, SPANS, fused)));
            assertTrue(VisionTestSupport.bitEqual(cam.queryTokens.t(), qt.mul(T.s(2))));
        }
    }

    @Test
    void realSizeParameterCount() {
        try (QFormer q = new QFormer(new QFormerConfig(768, 1, 12, 3072, 2, 1408, 1e-12, 32), DType.BF16, Dev.CPU);
             Cam c = new Cam(CamConfig.calico(), q, DType.BF16, Dev.CPU)) {
            assertEquals(2L * 4096 * 768 + 768 + 4096 + 32L * 768, c.parameterCount());
        }
    }
}
