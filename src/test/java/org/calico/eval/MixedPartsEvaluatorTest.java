package org.calico.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.calico.data.AnswerGrammar;
import org.calico.data.ImageRef;
import org.calico.data.PredictedSegment;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.data.Task;
import org.calico.data.synth.SynthGenerator;
import org.calico.eval.text.MiniLmEncoder;
import org.calico.mask.CocoRle;
import org.calico.mask.Rle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator on hand-made cases whose numbers are worked out below, and on synthetic samples with the ground truth
 * as prediction (all metrics 100). MiniLM cosines used: "chair leg"/"leg of the chair" 0.930340, "handle"/"knob"
 * 0.414029 (data-and-metrics.md §6, also asserted in MiniLmEncoderTest).
 */
class MixedPartsEvaluatorTest {
    static final MiniLmEncoder TEXT = new MiniLmEncoder();
    static final double COS_LEG = 0.930340, COS_KNOB = 0.414029;

    static CocoRle rect(int y0, int y1, int x0, int x1) {
        boolean[] m = new boolean[100];
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * 10 + x] = true;
        return CocoRle.of(Rle.encode(m, 10, 10));
    }

    static Sample sample(String id, Task task, List<Segment> segs) {
        List<ImageRef> ims = List.of(new ImageRef("a.png", 10, 10), new ImageRef("b.png", 10, 10));
        String answer = AnswerGrammar.answer(task, segs.stream().map(s -> new AnswerGrammar.Grounding(s.phrase(), s.image())).toList());
        return new Sample(id, "test", task, "hand", ims, AnswerGrammar.prompt(task, 2), answer, segs, List.of()).validate();
    }

    static Segment gt(String phrase, int image, CocoRle m) {
        return new Segment(phrase, image, m, 1, "chair", 1, "leg");
    }

    static PredictedSegment pd(String phrase, int image, CocoRle m) {
        return new PredictedSegment(phrase, image, m, 1.0);
    }

    /**
     * s2 (unique-parts): GT "dog head" on image 1 = columns 0-3 (40 px). Predictions: "quadruped head" on image 2 (no GT
     * there: a false positive), "dog head" on image 1 = columns 1-4 (IoU 30/50 = 0.6).
     * s1 (common-object): GT "chair leg" on image 1 = rows 0-4 (50 px), "handle" on image 2 = rows 0-4. Predictions:
     * "leg of the chair" on image 1 = rows 0-4 x cols 0-4 (IoU 25/50 = 0.5 exactly), "knob" on image 2 = exact mask.
     */
    static List<Sample> samples() {
        Sample s2 = sample("s2", Task.UNIQUE_PARTS, List.of(gt("dog head", 0, rect(0, 10, 0, 4))));
        Sample s1 = sample("s1", Task.COMMON_OBJECT, List.of(gt("chair leg", 0, rect(0, 5, 0, 10)), gt("handle", 1, rect(0, 5, 0, 10))));
        return List.of(s2, s1);
    }

    static List<Prediction> predictions() {
        return List.of(
                new Prediction("s1", "", List.of(pd("leg of the chair", 0, rect(0, 5, 0, 5)), pd("knob", 1, rect(0, 5, 0, 10)))),
                new Prediction("s2", "", List.of(pd("quadruped head", 1, rect(0, 10, 0, 4)), pd("dog head", 0, rect(0, 10, 1, 5)))));
    }

    @Test
    void handComputedPerImageUnit() {
        EvalResult r = new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(samples(), predictions(), null, null);
        EvalResult.Scores o = r.overall();
        // mIoU over units with GT: s2/img1 0.6, s1/img1 0.5, s1/img2 1.0 (s2/img2 has no GT)
        assertEquals(100 * (0.6 + 0.5 + 1.0) / 3, o.miou(), 1e-9);
        assertEquals(3, o.miouUnits());
        // Recall: s2/img1 TP (IoU .6, same text); s1/img1 TP (IoU .5 >= .5, cos .930 >= .5); s1/img2 stops (cos .414 < .5)
        assertEquals(100 * 2.0 / 3, o.recall(), 1e-9);
        assertEquals(2, o.truePositives());
        // SS over GT segments paired by IoU: 1, .930340, .414029; S-IoU: 1, |{chair,leg}|/|{leg,of,the,chair}| = .5, 0
        assertEquals(100 * (1 + COS_LEG + COS_KNOB) / 3, o.semanticSimilarity(), 2e-4);
        assertEquals(100 * (1 + 0.5 + 0) / 3, o.semanticIou(), 1e-9);
        // AP50: COCO images in unit order s2/1 (TP), s2/2 (FP), s1/1 (TP), s1/2 (TP), all scores 1.0 -> tp 1,1,2,3 fp 0,1,1,1
        // rc 1/3,1/3,2/3,1; pr 1,.5,.667,.75 -> monotone 1,.75,.75,.75; 34 recall thresholds <= 1/3 get 1, the other 67 get .75
        assertEquals(100 * (34 + 67 * 0.75) / 101, o.ap50(), 1e-9);
        assertEquals(3, o.gtSegments());
        assertEquals(4, o.predSegments());

        EvalResult.Scores co = r.tasks().get("common-object"), up = r.tasks().get("unique-parts");
        assertEquals(75, co.miou(), 1e-9);
        assertEquals(50, co.recall(), 1e-9);
        assertEquals(100 * (COS_LEG + COS_KNOB) / 2, co.semanticSimilarity(), 2e-4);
        assertEquals(25, co.semanticIou(), 1e-9);
        assertEquals(100, co.ap50(), 1e-9);
        assertEquals(60, up.miou(), 1e-9);
        assertEquals(100, up.recall(), 1e-9);
        assertEquals(100, up.semanticSimilarity(), 1e-4);
        assertEquals(100, up.ap50(), 1e-9); // TP before FP in unit order
        assertEquals(List.of("common-object", "unique-parts"), new ArrayList<>(r.tasks().keySet()));
        // low tail: all GT are "chair:leg" parts, 2 of 3 hit
        assertEquals(1, r.lowTail().categories().size());
        assertEquals(100 * 2.0 / 3, r.lowTail().categories().get(0).recall(), 1e-9);
    }

    @Test
    void handComputedPerSampleUnitAndExcludedText() {
        EvalOptions opt = EvalOptions.defaults().withUnit(EvalOptions.Unit.SAMPLE).withUnmatchedText(EvalOptions.UnmatchedText.EXCLUDE);
        EvalResult r = new MixedPartsEvaluator(opt, TEXT).evaluate(samples(), predictions(), null, null);
        // s1 as one unit: IoU preds x gts [[.5, 0], [0, 1]] -> greedy 1 then .5 -> .75; s2: [[0 (other image)], [.6]] -> .6
        assertEquals(100 * (0.75 + 0.6) / 2, r.overall().miou(), 1e-9);
        // s1 recall: argmax is the "handle"/"knob" pair (IoU 1, cos .414) -> stop with 0 TP; s2 1 TP
        assertEquals(100 / 3.0, r.overall().recall(), 1e-9);
    }

    @Test
    void unmatchedGtCountsZeroOrIsExcluded() {
        List<Prediction> only = List.of(new Prediction("s1", "", List.of(pd("chair leg", 0, rect(0, 5, 0, 10)))));
        EvalResult zero = new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(samples(), only, null, null);
        assertEquals(100 / 3.0, zero.overall().semanticIou(), 1e-9); // 1 of 3 GT matched with identical words
        assertEquals(100 / 3.0, zero.overall().miou(), 1e-9); // units: s2/1 0, s1/1 1, s1/2 0
        assertTrue(zero.warnings().get(0).contains("1 sample(s) have no prediction"), zero.warnings().toString());
        EvalResult ex = new MixedPartsEvaluator(EvalOptions.defaults().withUnmatchedText(EvalOptions.UnmatchedText.EXCLUDE), TEXT)
                .evaluate(samples(), only, null, null);
        assertEquals(100, ex.overall().semanticIou(), 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MixedPartsEvaluator(EvalOptions.defaults().withMissing(EvalOptions.Missing.ERROR), TEXT).evaluate(samples(), only, null, null));
        assertTrue(e.getMessage().contains("no prediction for sample s2"), e.getMessage());
    }

    @Test
    void badPredictionsAreNamed() {
        List<Prediction> wrongSize = List.of(new Prediction("s1", "", List.of(new PredictedSegment("x", 0, CocoRle.of(Rle.empty(5, 10)), 1.0))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(samples(), wrongSize, null, null));
        assertTrue(e.getMessage().contains("sample s1 segment 0: mask is 5x10"), e.getMessage());
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                () -> new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(samples(), List.of(new Prediction("zz", "", List.of())), null, null));
        assertTrue(u.getMessage().contains("unknown sample id zz"), u.getMessage());
    }

    @Test
    void groundTruthAsPredictionScoresHundred(@TempDir Path dir) throws Exception {
        SynthGenerator g = new SynthGenerator(SynthGenerator.Options.defaults().withSize(64));
        List<Sample> ss = g.generateSplit(dir, "test", 9, 5, false);
        List<Prediction> preds = new ArrayList<>();
        for (Sample s : ss)
            preds.add(new Prediction(s.id(), s.answer(), s.segments().stream().map(x -> new PredictedSegment(x.phrase(), x.image(), x.mask(), 1.0)).toList()));
        EvalResult r = new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(ss, preds, null, null);
        for (EvalResult.Scores s : List.of(r.overall(), r.tasks().get("common-object"), r.tasks().get("common-parts"), r.tasks().get("unique-parts"))) {
            assertEquals(100, s.miou(), 1e-9);
            assertEquals(100, s.ap50(), 1e-9);
            assertEquals(100, s.recall(), 1e-9);
            assertEquals(100, s.semanticSimilarity(), 1e-4);
            assertEquals(100, s.semanticIou(), 1e-9);
        }
        EvalReport.write(r, dir.resolve("eval"));
        assertTrue(Files.readString(dir.resolve("eval/metrics.md")).contains("| **overall** | 9 | 100.00 | 100.00 | 100.00 | 100.00 | 100.00 |"));
        assertTrue(Files.size(dir.resolve("eval/low-tail.png")) > 1000);
    }

    /**
     * A common-parts sample: image 1 has "the seat" = top half and "the legs" = bottom half, image 2 "the seat" = left
     * half and "the legs" = right half (50 px each on 10x10).
     */
    static Sample halves() {
        return sample("h", Task.COMMON_PARTS, List.of(gt("the seat", 0, rect(0, 5, 0, 10)), gt("the seat", 1, rect(0, 10, 0, 5)),
                gt("the legs", 0, rect(5, 10, 0, 10)), gt("the legs", 1, rect(0, 10, 5, 10))));
    }

    @Test
    void shuffledMasks() {
        Sample h = halves();
        // masks rotated by one segment: every predicted mask is a half that crosses its GT half -> IoU 25/75 = 1/3
        List<PredictedSegment> ps = new ArrayList<>();
        for (int i = 0; i < 4; i++) ps.add(pd(h.segments().get(i).phrase(), h.segments().get(i).image(), h.segments().get((i + 1) % 4).mask()));
        EvalResult r = new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(List.of(h), List.of(new Prediction("h", "", ps)), null, null);
        assertEquals(100.0 / 3, r.overall().miou(), 1e-9); // both units: greedy pairs of IoU 1/3
        assertEquals(0, r.overall().recall(), 1e-9); // max IoU 1/3 < 0.5 stops at once
        assertEquals(0, r.overall().ap50(), 1e-9); // no detection reaches IoU 0.5
        assertEquals(100, r.overall().semanticSimilarity(), 1e-4); // greedy pairs (first in row-major order) keep the phrases aligned
        assertEquals(100, r.overall().semanticIou(), 1e-9);
    }

    @Test
    void shuffledPhrases() {
        Sample h = halves();
        // phrases rotated by one segment, masks exact: image 1 keeps seat/legs, image 2 gets legs/seat
        List<PredictedSegment> ps = new ArrayList<>();
        for (int i = 0; i < 4; i++) ps.add(pd(h.segments().get((i + 1) % 4).phrase(), h.segments().get(i).image(), h.segments().get(i).mask()));
        // MiniLM finds "the legs" and "the seat" similar enough (0.5973 > 0.5) for Recall's text test: the shared
        // article lifts the cosine, so swapped part names still count as true positives
        double c = TEXT.similarity("the legs", "the seat");
        assertEquals(0.5973, c, 1e-3);
        EvalResult r = new MixedPartsEvaluator(EvalOptions.defaults(), TEXT).evaluate(List.of(h), List.of(new Prediction("h", "", ps)), null, null);
        assertEquals(100, r.overall().miou(), 1e-9); // masks are exact
        assertEquals(100, r.overall().ap50(), 1e-9);
        assertEquals(100, r.overall().recall(), 1e-9); // IoU 1 and cos 0.597 >= 0.5 for every pair
        EvalResult strict = new MixedPartsEvaluator(EvalOptions.defaults().withRecallThresholds(0.5, 0.6), TEXT)
                .evaluate(List.of(h), List.of(new Prediction("h", "", ps)), null, null);
        assertEquals(50, strict.overall().recall(), 1e-9); // text threshold 0.6: image 2 stops at its first pair
        assertEquals(100 * (1 + 1 + c + c) / 4, r.overall().semanticSimilarity(), 1e-4);
        assertEquals(100 * (1 + 1 + 1 / 3.0 + 1 / 3.0) / 4, r.overall().semanticIou(), 1e-9); // {the, legs} vs {the, seat}
    }
}
