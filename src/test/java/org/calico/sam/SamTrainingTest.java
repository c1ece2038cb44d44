package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * The small from-scratch configuration (128x128, patch 8, D 64, window 4, out 64, decoder dim 64): gradients reach every
 * decoder parameter through the optimised decoder path, and a few SGD steps on one synthetic square lower the loss.
 */
class SamTrainingTest {
    @Test
    void gradientsFlowThroughTheDecoderAndSgdLowersTheLoss() {
        try (SamModel m = new SamModel(SamTestModels.small128())) {
            m.initRandom(7);
            m.setTrainable(k -> k.startsWith("mask_decoder."));
            Map<String, Param> trainable = m.trainableParams();
            assertEquals(m.maskDecoder.namedParams().size(), trainable.size());
            Tensor emb, pe, target;
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                T.seed(1);
                Tensor img = T.rand(DType.F32, Dev.CPU, 1, 3, 128, 128).mul(T.s(255));
                emb = T.handle(m.encodeImage(m.preprocess(img)));      // the frozen encoder runs without grad
                pe = T.handle(m.promptEncoder.densePe());
                float[] t = new float[128 * 128];
                for (int y = 40; y < 90; y++) for (int x = 30; x < 100; x++) t[y * 128 + x] = 1f;
                target = T.handle(T.fromFloats(t, 1, 1, 128, 128));
            }
            double first = 0, last = 0;
            for (int step = 0; step < 5; step++) {
                try (PointerScope s = new PointerScope()) {
                    PromptEncoder.Embeddings e = m.promptEncoder.forward(null, null, T.fromFloats(new float[] {30, 40, 100, 90}, 1, 4), null);
                    MaskDecoder.Output o = m.maskDecoder.forward(emb, pe, e.sparse(), e.dense(), false);
                    Tensor logits = m.postprocessMasks(o.masks(), 128, 128, 128, 128);
                    assertArrayEquals(new long[] {1, 1, 128, 128}, T.shape(logits));
                    Tensor loss = torch.binary_cross_entropy_with_logits(logits, target);
                    double l = loss.item_float();
                    if (step == 0) first = l;
                    last = l;
                    loss.backward();
                    try (NoGradGuard g = new NoGradGuard()) {
                        int nonZero = 0;
                        for (Map.Entry<String, Param> p : trainable.entrySet()) {
                            Tensor grad = p.getValue().t().grad();
                            // not in a mask loss's graph (as upstream, where their .grad stays None / zero): the IoU head, and with
                            // single-mask decoding the hypernetworks of masks 1..3, which are never formed
                            boolean unused = p.getKey().matches("mask_decoder\\.(output_hypernetworks_mlps\\.[123]|iou_prediction_head)\\..*");
                            assertEquals(!unused, grad.defined(), "gradient presence for " + p.getKey());
                            if (unused) continue;
                            float[] gv = T.toFloats(grad.abs().sum());
                            assertTrue(Float.isFinite(gv[0]), p.getKey());
                            if (gv[0] > 0) nonZero++;
                            p.getValue().t().sub_(grad.mul(T.s(0.5)));
                            grad.zero_();
                        }
                        // the IoU head gets no gradient from a mask loss; every other decoder tensor does
                        int used = trainable.size() - 3 * 6 - 6;
                        assertEquals(used, nonZero, "tensors with a non-zero gradient");
                    }
                }
            }
            assertTrue(last < first * 0.9, "loss " + first + " -> " + last);
            T.release(emb);
            T.release(pe);
            T.release(target);
        }
    }
}
