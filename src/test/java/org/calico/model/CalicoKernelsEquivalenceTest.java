package org.calico.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Segment;
import org.calico.api.Task;
import org.calico.image.RgbImage;
import org.calico.kernels.Ops;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.WordTokenizer;
import org.calico.vision.Cam;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole calico-tiny model (random weights, fp32, CPU) gives the same results with CALICO's native kernels
 * (Q-Former attention, CEM, CAM, SAM mask decoder) as with the modules' LibTorch code: image features, teacher-forced
 * logits, [SEG] mask logits, and a greedy {@link CoSegmenter} run. The zero-initialised CEM out_proj and CAM
 * projections are given random values first, so that CEM and CAM actually change the result.
 */
class CalicoKernelsEquivalenceTest {
    static final double TOL = 1e-4;
    static CalicoModel model;

    @BeforeAll
    static void build() {
        model = new CalicoModel(CalicoConfig.calicoTiny(), WordTokenizer.tinyDefault(), DType.F32, Dev.CPU);
        model.initRandom(11);
        Random r = new Random(5);
        List<Param> zeroInit = new ArrayList<>(List.of(model.cem.outProj.weight, model.cem.outProj.bias));
        for (Cam c : model.cams)
            zeroInit.addAll(List.of(c.fAdaptation.weight, c.fAdaptation.bias, c.fReintegration.weight, c.fReintegration.bias));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Param p : zeroInit) {
                float[] v = new float[(int) p.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (0.05 * r.nextGaussian());
                p.t().copy_(T.fromFloats(v, p.shape()));
            }
        }
    }

    @AfterAll
    static void close() { model.close(); }

    static <R> R withKernels(String backend, Supplier<R> body) {
        String before = System.getProperty("calico.kernels");
        System.setProperty("calico.kernels", backend);
        try {
            for (String op : List.of(Ops.QFORMER_CROSS_ATTENTION, Ops.CEM_FUSION, Ops.CAM_INJECTION, Ops.SAM_MASK_DECODING))
                assertEquals(backend, Ops.describe(op, false), op);
            return body.get();
        } finally {
            if (before == null) System.clearProperty("calico.kernels");
            else System.setProperty("calico.kernels", before);
        }
    }

    static List<RgbImage> images() {
        List<RgbImage> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Random r = new Random(300 + i);
            byte[] px = new byte[128 * 128 * 3];
            r.nextBytes(px);
            out.add(new RgbImage(128, 128, px));
        }
        return out;
    }

    /** What one backend computes: fused CEM features of both images, logits [1, L, V], mask logits per [SEG]. */
    record Run(float[][] fused, float[] logits, long[] logitsShape, float[][] masks, int[] maskImages) {}

    static Run teacherForced(List<RgbImage> imgs) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            List<ImageFeatures> feats = model.encodeImages(imgs);
            String msg = model.prompts().message(Task.COMMON_PARTS, 2);
            String ans = "The common parts of the objects are <p> the seat </p> [SEG] (IMAGE1) and <p> the seat </p> [SEG] (IMAGE2).";
            CalicoModel.TrainingOutput o = model.trainingForward(feats, msg, ans);
            float[][] fused = new float[feats.size()][];
            for (int i = 0; i < fused.length; i++) fused[i] = T.toFloats(feats.get(i).fused());
            float[][] masks = new float[o.maskLogits().size()][];
            for (int i = 0; i < masks.length; i++) masks[i] = T.toFloats(o.maskLogits().get(i));
            return new Run(fused, T.toFloats(o.logits()), T.shape(o.logits()), masks, o.maskImages());
        }
    }

    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    @Test
    void teacherForcedLogitsFeaturesAndMasksAgree() {
        List<RgbImage> imgs = images();
        Run nat = withKernels("native", () -> teacherForced(imgs));
        Run tor = withKernels("torch", () -> teacherForced(imgs));
        for (int i = 0; i < nat.fused().length; i++) {
            double e = maxAbs(nat.fused()[i], tor.fused()[i]);
            assertTrue(e <= TOL, "CEM features of image " + i + ": max abs diff " + e);
        }
        assertArrayEquals(tor.logitsShape(), nat.logitsShape());
        double logitErr = maxAbs(nat.logits(), tor.logits());
        assertTrue(logitErr <= TOL, "teacher-forced logits: max abs diff " + logitErr);
        // different code ran (else this test would compare a path with itself)
        assertTrue(logitErr > 0, "native and torch logits are bit-identical: the kernels were not dispatched");
        assertArrayEquals(new int[] {0, 1}, nat.maskImages());
        assertArrayEquals(tor.maskImages(), nat.maskImages());
        assertEquals(2, nat.masks().length);
        for (int i = 0; i < 2; i++) {
            double e = maxAbs(nat.masks()[i], tor.masks()[i]);
            assertTrue(e <= TOL, "mask logits of [SEG] " + i + ": max abs diff " + e);
        }
        System.out.printf("calico-tiny native vs torch kernels: logits %.3g, masks %.3g / %.3g, CEM features %.3g / %.3g%n",
                logitErr, maxAbs(nat.masks()[0], tor.masks()[0]), maxAbs(nat.masks()[1], tor.masks()[1]),
                maxAbs(nat.fused()[0], tor.fused()[0]), maxAbs(nat.fused()[1], tor.fused()[1]));
    }

    /** Gradients of the paper's trainable set for a teacher-forced loss; the kernels never run where grads are needed. */
    static java.util.Map<String, float[]> gradients(List<RgbImage> imgs, List<String> names) {
        java.util.Map<String, Param> ps = model.namedParams();
        try (PointerScope s = new PointerScope()) {
            for (String n : names) {
                Tensor g = ps.get(n).t().grad();
                if (g != null && g.defined()) ps.get(n).t().mutable_grad().reset();
            }
            List<ImageFeatures> feats = model.encodeImages(imgs);
            String msg = model.prompts().message(Task.COMMON_PARTS, 2);
            String ans = "The common parts of the objects are <p> the seat </p> [SEG] (IMAGE1) and <p> the seat </p> [SEG] (IMAGE2).";
            CalicoModel.TrainingOutput o = model.trainingForward(feats, msg, ans);
            Tensor loss = o.logits().pow(new org.bytedeco.pytorch.Scalar(2)).mean();
            for (Tensor m : o.maskLogits()) loss = loss.add(m.mean());
            loss.backward();
            java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (String n : names) {
                Tensor g = ps.get(n).t().grad();
                assertTrue(g != null && g.defined(), "no gradient for " + n);
                out.put(n, T.toFloats(g));
            }
            return out;
        }
    }

    @Test
    void trainingGradientsFlowAndAgree() {
        List<String> names = List.of("cem.q_proj.weight", "cem.out_proj.weight", "cam.0.f_adaptation.weight", "cam.1.f_reintegration.weight",
                "cam.0.query_tokens", "sam.mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight",
                "sam.mask_decoder.transformer.final_attn_token_to_image.out_proj.weight", "sam.mask_decoder.output_upscaling.0.weight",
                "sam.mask_decoder.output_hypernetworks_mlps.0.layers.2.weight", "text_hidden_fcs.0.0.weight");
        List<RgbImage> imgs = images();
        model.setTrainable(org.calico.train.Trainer.PAPER_TRAINABLE);
        try {
            var nat = withKernels("native", () -> gradients(imgs, names));
            var tor = withKernels("torch", () -> gradients(imgs, names));
            for (String n : names) {
                float[] a = nat.get(n), b = tor.get(n);
                double scale = 0;
                for (float x : b) scale = Math.max(scale, Math.abs(x));
                assertTrue(scale > 0, "zero gradient for " + n);
                double e = maxAbs(a, b);
                assertTrue(e <= 1e-3 * scale + 1e-6, n + ": gradient max abs diff " + e + " (max |grad| " + scale + ")");
            }
        } finally {
            model.setTrainable(k -> false);
            try (PointerScope s = new PointerScope()) {
                for (Param p : model.namedParams().values()) {
                    Tensor g = p.t().grad();
                    if (g != null && g.defined()) p.t().mutable_grad().reset();
                }
            }
        }
    }

    @Test
    void greedyCoSegmentationIsTheSame() {
        List<RgbImage> imgs = images();
        Supplier<CoSegmentation> run = () -> {
            try (CoSegmenter seg = CoSegmenter.builder().model(model).maxNewTokens(24).build()) {
                return seg.segment(imgs, Task.COMMON_PARTS);
            }
        };
        CoSegmentation nat = withKernels("native", run), tor = withKernels("torch", run);
        System.out.println("calico-tiny greedy run (native kernels): " + nat.segments().size() + " segments, answer: " + nat.answer());
        assertEquals(tor.instruction(), nat.instruction());
        assertEquals(tor.answer(), nat.answer());
        assertEquals(tor.groups(), nat.groups());
        assertEquals(tor.problems(), nat.problems());
        assertEquals(tor.segments().size(), nat.segments().size());
        for (int i = 0; i < nat.segments().size(); i++) {
            Segment a = nat.segments().get(i), b = tor.segments().get(i);
            assertEquals(b.label(), a.label());
            assertEquals(b.imageIndex(), a.imageIndex());
            assertEquals(b.group(), a.group());
            assertEquals(b.mask(), a.mask(), "segment " + i + " mask");
            assertEquals(b.score(), a.score(), TOL, "segment " + i + " score");
        }
    }
}
