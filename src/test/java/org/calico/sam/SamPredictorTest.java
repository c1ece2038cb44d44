package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.calico.image.RgbImage;
import org.calico.mask.Rle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Predictor API on a tiny random SAM: caching, batching, concurrency, mask/text prompts, errors. */
class SamPredictorTest {
    static SamModel model;

    @BeforeAll
    static void setUp() {
        model = new SamModel(SamTestModels.tiny());
        model.initRandom(21);
    }

    @AfterAll
    static void tearDown() { model.close(); }

    static RgbImage image(int h, int w, long seed) {
        byte[] px = new byte[h * w * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(h, w, px);
    }

    static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static List<SamPrompt> prompts() {
        List<SamPrompt> ps = new ArrayList<>();
        for (int i = 0; i < 6; i++) ps.add(SamPrompt.builder().point(3 + 5 * i, 40 - 4 * i, 1).point(30 - 2 * i, 5 + i, 0).build());
        ps.add(SamPrompt.box(2, 3, 30, 40));
        ps.add(SamPrompt.builder().point(10, 10).box(1, 1, 36, 49).build());
        return ps;
    }

    @Test
    void concurrentDecodesOverOneEmbeddingEqualSequentialOnes() throws Exception {
        SamPredictor p = new SamPredictor(model);
        try (SamImageEmbedding e = p.encode(image(50, 37, 1))) {
            assertEquals(50, e.originalHeight());
            assertEquals(64, e.inputHeight());    // longest side 64: 50x37 -> 64x47
            assertEquals(47, e.inputWidth());
            List<SamPrompt> ps = prompts();
            List<SamPrediction> seq = new ArrayList<>();
            for (SamPrompt q : ps) seq.add(e.predict(q, true, true));
            ExecutorService ex = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<SamPrediction>>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    fs.add(ex.submit(() -> {
                        List<SamPrediction> r = new ArrayList<>();
                        for (int rep = 0; rep < 3; rep++) for (SamPrompt q : ps) r.add(e.predict(q, true, true));
                        return r;
                    }));
                }
                for (Future<List<SamPrediction>> f : fs) {
                    List<SamPrediction> r = f.get();
                    for (int i = 0; i < r.size(); i++) {
                        SamPrediction a = r.get(i), b = seq.get(i % ps.size());
                        assertTrue(maxDiff(a.iouPredictions(), b.iouPredictions()) < 1e-5);
                        assertTrue(maxDiff(a.logits(0), b.logits(0)) < 1e-4);
                    }
                }
            } finally {
                ex.shutdown();
            }
            // batched decoding (grouped by prompt structure) equals one-by-one decoding
            List<SamPrediction> batched = e.predictAll(ps, true, true);
            for (int i = 0; i < ps.size(); i++) {
                assertEquals(3, batched.get(i).count());
                assertTrue(maxDiff(batched.get(i).logits(2), seq.get(i).logits(2)) < 1e-4, "prompt " + i);
                assertTrue(maxDiff(batched.get(i).lowResLogits(1), seq.get(i).lowResLogits(1)) < 1e-4, "prompt " + i);
            }
        }
    }

    @Test
    void resultsAreConsistentAndMaskPromptsRoundTrip() {
        try (SamPredictor p = new SamPredictor(model)) {
            p.setImage(image(40, 60, 2));
            SamPrediction r = p.predict(SamPrompt.point(20, 15), true, true);
            assertEquals(3, r.count());
            assertEquals(40, r.height());
            assertEquals(60, r.width());
            assertEquals(32, r.lowResHeight());
            for (int k = 0; k < 3; k++) {
                float[] lg = r.logits(k);
                boolean[] m = r.mask(k);
                long area = 0;
                for (int i = 0; i < m.length; i++) {
                    assertEquals(lg[i] > 0f, m[i]);
                    if (m[i]) area++;
                }
                assertEquals(area, r.area(k));
                Rle rle = r.rle(k);
                assertEquals(area, rle.area());
                assertArrayEquals(m, rle.decode());
            }
            // the best single mask for an ambiguous click is the multimask output with the highest predicted IoU
            SamPrediction best = p.predictBest(SamPrompt.point(20, 15), false);
            assertEquals(1, best.count());
            assertFalse(best.hasLogits());
            assertEquals(r.iouPrediction(r.best()), best.iouPrediction(0), 1e-6);
            assertArrayEquals(r.mask(r.best()), best.mask(0));
            assertThrows(IllegalStateException.class, () -> best.logits(0));
            // a non-ambiguous prompt uses the single-mask token
            assertEquals(1, p.predictBest(SamPrompt.box(1, 1, 30, 30), false).count());
            // the low-res logits feed back as a mask prompt
            SamPrompt refine = SamPrompt.builder().point(20, 15, 1).maskInput(r.lowResLogits(r.best()), 32, 32).build();
            SamPrediction r2 = p.predict(refine, false, false);
            assertEquals(1, r2.count());
            assertEquals(40 * 60, r2.mask(0).length);
        }
    }

    @Test
    void textEmbeddingPromptsBatchLikeSegTokens() {
        try (SamPredictor p = new SamPredictor(model)) {
            p.setImage(image(30, 30, 3));
            Random rnd = new Random(4);
            List<SamPrompt> segs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                float[] e = new float[32];
                for (int j = 0; j < 32; j++) e[j] = (float) rnd.nextGaussian();
                segs.add(SamPrompt.text(e));
            }
            List<SamPrediction> all = p.predictAll(segs, false, true);
            assertEquals(5, all.size());
            for (int i = 0; i < 5; i++)
                assertTrue(maxDiff(all.get(i).logits(0), p.predict(segs.get(i), false, true).logits(0)) < 1e-4);
        }
    }

    @Test
    void badPromptsAndLifecycleErrorsAreClear() {
        SamPredictor p = new SamPredictor(model);
        IllegalStateException notSet = assertThrows(IllegalStateException.class, () -> p.predict(SamPrompt.point(1, 1), false, false));
        assertEquals("an image must be set with setImage(...) before mask prediction", notSet.getMessage());
        p.setImage(image(20, 30, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(SamPrompt.point(30, 5), false, false));
        assertEquals("point (30.0, 5.0) is outside the 30x20 (width x height) image: x must be in [0, 30), y in [0, 20)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.predict(SamPrompt.box(0, 0, 31, 10), false, false));
        assertTrue(e.getMessage().startsWith("box [0.0, 0.0, 31.0, 10.0] is outside the 30x20"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> p.predict(SamPrompt.builder().point(1, 1).maskInput(new float[16], 4, 4).build(), false, false));
        assertEquals("mask input is 4x4, this model takes 32x32 low-resolution logits", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.predict(SamPrompt.text(new float[8]), false, false));
        assertEquals("text embedding has 8 values, the prompt dim is 32", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SamPrompt.builder().point(1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> SamPrompt.box(5, 5, 1, 1));
        SamImageEmbedding e1 = p.current();
        p.setImage(image(20, 30, 6));                 // replaces (and closes) the previous embedding
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> e1.predict(SamPrompt.point(1, 1), false, false));
        assertEquals("this SAM image embedding was closed", closed.getMessage());
        p.close();
        assertFalse(p.isImageSet());
        try (SamModel fresh = new SamModel(SamTestModels.tiny())) {
            assertEquals("SAM model has no weights: load(...) or initRandom(...) it first",
                    assertThrows(IllegalArgumentException.class, () -> new SamPredictor(fresh)).getMessage());
        }
    }
}
