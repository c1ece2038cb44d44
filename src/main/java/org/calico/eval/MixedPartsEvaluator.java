package org.calico.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.calico.data.ImageRef;
import org.calico.data.PredictedSegment;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.data.Task;
import org.calico.eval.coco.CocoAnnotation;
import org.calico.eval.coco.CocoDataset;
import org.calico.eval.coco.CocoEval;
import org.calico.eval.text.TextEncoder;
import org.calico.mask.Rle;

/**
 * CALICO's five metrics on MixedParts samples (data-and-metrics.md §4; the open choices are {@link EvalOptions}):
 * <ul>
 *   <li><b>mIoU</b>: GLaMM's greedy per-unit matching, a unit scores the mean matched IoU (0 if none); mean over the
 *       units that have ground truth;</li>
 *   <li><b>AP50</b>: the {@link CocoEval} port, one COCO image per (sample, image index), category 1, all scores 1.0
 *       unless {@code apUseScores}; stats[1];</li>
 *   <li><b>Recall</b>: GLaMM's greedy loop (IoU &ge; 0.5 and text similarity &ge; 0.5, stop at the first failing
 *       maximum) with all-MiniLM-L6-v2 as the text model; ΣTP / ΣGT;</li>
 *   <li><b>Semantic Similarity</b> and <b>Semantic IoU</b> (CaSED): each GT segment is paired with the prediction the
 *       IoU-greedy matching gave it; cosine of MiniLM embeddings and word-set IoU; mean over GT segments (unmatched:
 *       0 or excluded).</li>
 * </ul>
 * Per task and overall (pooled over all samples). Thread-safe if the encoder is.
 */
public final class MixedPartsEvaluator {
    private final EvalOptions opt;
    private final TextEncoder text;

    public MixedPartsEvaluator(EvalOptions opt, TextEncoder text) {
        this.opt = opt;
        this.text = text;
    }

    /** One matching unit: GT and predicted segments, their masks and phrases. */
    private record Unit(Sample sample, int image, List<Segment> gt, List<Rle> gtMasks, List<Integer> gtImage,
                        List<PredictedSegment> pred, List<Rle> predMasks, List<Integer> predImage) {}

    /** Per-unit results. */
    private record UnitScore(Task task, boolean hasGt, double miou, int gt, int pred, int tp, double ssSum, int ssN, double siouSum, int siouN,
                             List<String> gtKeys, List<Boolean> gtHit) {}

    /**
     * Evaluates predictions against samples.
     *
     * @param frequencies object-part frequencies ("object:part" -> count) for the low-tail analysis, or null to count
     *                    them on the evaluated samples
     * @param frequencySource a label for the report
     */
    public EvalResult evaluate(List<Sample> samples, List<Prediction> predictions, Map<String, Integer> frequencies, String frequencySource) {
        List<String> warnings = new ArrayList<>();
        Map<String, Prediction> byId = new HashMap<>();
        for (Prediction p : predictions)
            if (byId.put(p.id(), p) != null) throw new IllegalArgumentException("duplicate prediction for sample id " + p.id());
        Set<String> ids = new HashSet<>();
        for (Sample s : samples) if (!ids.add(s.id())) throw new IllegalArgumentException("duplicate sample id " + s.id());
        for (String pid : byId.keySet())
            if (!ids.contains(pid)) throw new IllegalArgumentException("prediction for unknown sample id " + pid + " (not in the evaluated split)");
        int missing = 0, badImage = 0;
        List<Unit> units = new ArrayList<>();
        List<Unit> apUnits = new ArrayList<>();
        for (Sample s : samples) {
            Prediction p = byId.get(s.id());
            if (p == null) {
                if (opt.missing() == EvalOptions.Missing.ERROR) throw new IllegalArgumentException("no prediction for sample " + s.id());
                missing++;
                p = new Prediction(s.id(), "", List.of());
            }
            int n = s.images().size();
            List<PredictedSegment> ps = new ArrayList<>();
            List<Rle> pm = new ArrayList<>();
            for (int i = 0; i < p.segments().size(); i++) {
                PredictedSegment q = p.segments().get(i);
                if (q.image() < 0 || q.image() >= n) {
                    badImage++;
                    continue;
                }
                ImageRef im = s.images().get(q.image());
                if (q.mask().height() != im.height() || q.mask().width() != im.width())
                    throw new IllegalArgumentException("prediction for sample " + s.id() + " segment " + i + ": mask is " + q.mask().height() + "x"
                            + q.mask().width() + " (HxW), image " + (q.image() + 1) + " is " + im.height() + "x" + im.width());
                Rle r;
                try {
                    r = q.mask().toRle();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("prediction for sample " + s.id() + " segment " + i + ": " + e.getMessage(), e);
                }
                ps.add(q);
                pm.add(r);
            }
            List<Rle> gm = new ArrayList<>();
            for (Segment g : s.segments()) gm.add(g.mask().toRle());
            for (int k = 0; k < n; k++) apUnits.add(slice(s, k, ps, pm, gm));
            if (opt.unit() == EvalOptions.Unit.IMAGE) {
                for (int k = 0; k < n; k++) units.add(slice(s, k, ps, pm, gm));
            } else {
                List<Integer> gi = s.segments().stream().map(Segment::image).toList(), pi = ps.stream().map(PredictedSegment::image).toList();
                units.add(new Unit(s, -1, s.segments(), gm, gi, ps, pm, pi));
            }
        }
        if (missing > 0) warnings.add(missing + " sample(s) have no prediction and count as empty predictions");
        if (badImage > 0) warnings.add(badImage + " predicted segment(s) name an image the sample does not have and were dropped");

        List<UnitScore> scores = units.parallelStream().map(this::score).toList();

        Map<String, EvalResult.Scores> perTask = new LinkedHashMap<>();
        for (Task t : Task.values()) {
            List<UnitScore> us = scores.stream().filter(u -> u.task() == t).toList();
            if (us.isEmpty()) continue;
            List<Unit> au = apUnits.stream().filter(u -> u.sample().task() == t).toList();
            perTask.put(t.id(), aggregate(us, au, (int) samples.stream().filter(s -> s.task() == t).count()));
        }
        EvalResult.Scores overall = aggregate(scores, apUnits, samples.size());

        Map<String, Integer> freq = frequencies;
        String freqSrc = frequencySource;
        if (freq == null) {
            freq = new TreeMap<>();
            for (Sample s : samples) for (Segment g : s.segments()) if (g.isPart()) freq.merge(g.categoryKey(), 1, Integer::sum);
            freqSrc = "evaluated samples";
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("unit", opt.unit().name().toLowerCase());
        o.put("ap_scores", opt.apUseScores() ? "predicted" : "all 1.0 (GLaMM)");
        o.put("recall_iou_threshold", opt.recallIou());
        o.put("recall_text_threshold", opt.recallText());
        o.put("text_model", text.name());
        o.put("text_pairing", "IoU-greedy match (GLaMM mIoU matching), unmatched GT " + opt.unmatchedText().name().toLowerCase());
        o.put("missing_predictions", opt.missing().name().toLowerCase());
        return new EvalResult(o, overall, perTask, lowTail(scores, freq, freqSrc), warnings);
    }

    private static Unit slice(Sample s, int k, List<PredictedSegment> ps, List<Rle> pm, List<Rle> gm) {
        List<Segment> g = new ArrayList<>();
        List<Rle> gmk = new ArrayList<>();
        List<Integer> gi = new ArrayList<>(), pi = new ArrayList<>();
        for (int i = 0; i < s.segments().size(); i++)
            if (s.segments().get(i).image() == k) {
                g.add(s.segments().get(i));
                gmk.add(gm.get(i));
                gi.add(k);
            }
        List<PredictedSegment> p = new ArrayList<>();
        List<Rle> pmk = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++)
            if (ps.get(i).image() == k) {
                p.add(ps.get(i));
                pmk.add(pm.get(i));
                pi.add(k);
            }
        return new Unit(s, k, g, gmk, gi, p, pmk, pi);
    }

    /** IoU of two masks on possibly different images of a unit (0 across images). */
    private static double iou(Rle a, int ia, Rle b, int ib) {
        if (ia != ib) return 0;
        return Math.max(0, Rle.iou(a, b, false));
    }

    private UnitScore score(Unit u) {
        int P = u.pred().size(), G = u.gt().size();
        double[][] pg = new double[P][G], gp = new double[G][P], sim = new double[G][P];
        for (int i = 0; i < P; i++)
            for (int j = 0; j < G; j++) {
                pg[i][j] = iou(u.predMasks().get(i), u.predImage().get(i), u.gtMasks().get(j), u.gtImage().get(j));
                gp[j][i] = pg[i][j];
            }
        for (int j = 0; j < G; j++)
            for (int i = 0; i < P; i++) sim[j][i] = text.similarity(u.gt().get(j).phrase(), u.pred().get(i).phrase());
        double miou = Metrics.imageMiou(pg);
        List<Metrics.Match> rec = Metrics.recallMatches(gp, sim, opt.recallIou(), opt.recallText());
        List<Boolean> hit = new ArrayList<>();
        for (int j = 0; j < G; j++) hit.add(false);
        for (Metrics.Match m : rec) hit.set(m.row(), true);
        // text metrics: GT paired through the IoU-greedy matching
        double ss = 0, si = 0;
        int ssN = 0, siN = 0;
        Integer[] pairedPred = new Integer[G];
        for (Metrics.Match m : Metrics.greedyMatch(pg)) pairedPred[m.col()] = m.row();
        for (int j = 0; j < G; j++) {
            if (pairedPred[j] == null) {
                if (opt.unmatchedText() == EvalOptions.UnmatchedText.ZERO) {
                    ssN++;
                    siN++;
                }
                continue;
            }
            String pp = u.pred().get(pairedPred[j]).phrase(), gt = u.gt().get(j).phrase();
            ss += sim[j][pairedPred[j]];
            ssN++;
            double v = Metrics.semanticIou(pp, gt);
            if (!Double.isNaN(v)) {
                si += v;
                siN++;
            }
        }
        List<String> keys = u.gt().stream().map(g -> g.isPart() ? g.categoryKey() : null).toList();
        return new UnitScore(u.sample().task(), G > 0, miou, G, P, rec.size(), ss, ssN, si, siN, keys, hit);
    }

    private EvalResult.Scores aggregate(List<UnitScore> us, List<Unit> apUnits, int nSamples) {
        double miouSum = 0;
        int miouN = 0, gt = 0, pred = 0, tp = 0, ssN = 0, siN = 0;
        double ss = 0, si = 0;
        for (UnitScore u : us) {
            if (u.hasGt()) {
                miouSum += u.miou();
                miouN++;
            }
            gt += u.gt();
            pred += u.pred();
            tp += u.tp();
            ss += u.ssSum();
            ssN += u.ssN();
            si += u.siouSum();
            siN += u.siouN();
        }
        return new EvalResult.Scores(pct(miouN == 0 ? Double.NaN : miouSum / miouN), pct(ap50(apUnits)), pct(gt == 0 ? Double.NaN : (double) tp / gt),
                pct(ssN == 0 ? Double.NaN : ss / ssN), pct(siN == 0 ? Double.NaN : si / siN), nSamples, miouN, gt, pred, tp);
    }

    private static double pct(double v) {
        return v * 100;
    }

    /** AP50 with the COCOeval port: one COCO image per unit in order, GT in sample order, predictions in output order. */
    private double ap50(List<Unit> apUnits) {
        List<CocoDataset.Image> images = new ArrayList<>();
        List<CocoAnnotation> gts = new ArrayList<>(), dts = new ArrayList<>();
        long gid = 1, did = 1;
        for (int i = 0; i < apUnits.size(); i++) {
            Unit u = apUnits.get(i);
            long img = i + 1;
            ImageRef im = u.sample().images().get(u.image());
            images.add(new CocoDataset.Image(img, im.height(), im.width()));
            for (Rle m : u.gtMasks()) gts.add(new CocoAnnotation(gid++, img, 1, m, m.area(), false, Double.NaN));
            for (int j = 0; j < u.pred().size(); j++) {
                Rle m = u.predMasks().get(j);
                dts.add(new CocoAnnotation(did++, img, 1, m, m.area(), false, opt.apUseScores() ? u.pred().get(j).score() : 1.0));
            }
        }
        if (gts.isEmpty()) return Double.NaN;
        double ap = CocoEval.run(new CocoDataset(images, List.of(1L), gts), dts)[1];
        return ap < 0 ? Double.NaN : ap;
    }

    private EvalResult.LowTail lowTail(List<UnitScore> us, Map<String, Integer> freq, String src) {
        Map<String, int[]> perCat = new TreeMap<>(); // key -> {gt, tp}
        for (UnitScore u : us)
            for (int j = 0; j < u.gtKeys().size(); j++) {
                String k = u.gtKeys().get(j);
                if (k == null) continue;
                int[] c = perCat.computeIfAbsent(k, x -> new int[2]);
                c[0]++;
                if (u.gtHit().get(j)) c[1]++;
            }
        List<EvalResult.Category> cats = new ArrayList<>();
        for (Map.Entry<String, int[]> e : perCat.entrySet())
            cats.add(new EvalResult.Category(e.getKey(), freq.getOrDefault(e.getKey(), 0), e.getValue()[0], e.getValue()[1],
                    pct((double) e.getValue()[1] / e.getValue()[0])));
        cats.sort(Comparator.comparingInt(EvalResult.Category::frequency).thenComparing(EvalResult.Category::name));
        List<EvalResult.Bin> bins = new ArrayList<>();
        int nb = Math.min(opt.lowTailBins(), cats.size());
        for (int b = 0; b < nb; b++) {
            int from = b * cats.size() / nb, to = (b + 1) * cats.size() / nb;
            List<EvalResult.Category> sub = cats.subList(from, to);
            int g = 0, t = 0;
            for (EvalResult.Category c : sub) {
                g += c.gtSegments();
                t += c.truePositives();
            }
            bins.add(new EvalResult.Bin(sub.get(0).frequency(), sub.get(sub.size() - 1).frequency(), sub.size(), g, t, pct(g == 0 ? Double.NaN : (double) t / g)));
        }
        return new EvalResult.LowTail(src, bins, cats);
    }
}
