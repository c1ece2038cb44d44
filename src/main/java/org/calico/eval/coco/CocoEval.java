package org.calico.eval.coco;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.calico.mask.Rle;

/**
 * A port of pycocotools 2.0.11 {@code COCOeval} for {@code iouType='segm'} ({@code cocoeval.py}), with its exact
 * semantics: stable (merge) sorts by descending score, so tied scores keep input order; GT sorted with ignored ones
 * last; greedy matching per IoU threshold where a later GT wins ties ({@code <} not {@code <=}); crowd GTs reusable;
 * matched-to-ignored and out-of-range unmatched detections ignored; a GT id of 0 reads as "unmatched" exactly as
 * {@code dtm == 0} does upstream; precision made monotone from the right and sampled at 101 recall thresholds with
 * {@code searchsorted(side='left')}; -1 for absent entries; the 12 summary stats average entries &gt; -1.
 *
 * <p>Not thread-safe (one evaluation per instance); the inputs are immutable.
 */
public final class CocoEval {
    /** COCOeval {@code Params} for detection/segmentation ({@code setDetParams}). */
    public static final class Params {
        public final double[] iouThrs = linspace(.5, 0.95, (int) Math.round((0.95 - .5) / .05) + 1);
        public final double[] recThrs = linspace(.0, 1.00, (int) Math.round((1.00 - .0) / .01) + 1);
        public int[] maxDets = {1, 10, 100};
        public double[][] areaRng = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
        public String[] areaRngLbl = {"all", "small", "medium", "large"};
        public boolean useCats = true;
        /** null: all GT images (sorted, unique). */
        public List<Long> imgIds;
        /** null: all GT categories (sorted, unique). */
        public List<Long> catIds;
    }

    /** numpy {@code linspace(start, stop, num, endpoint=True)}: {@code i * step + start}, last element = stop. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    /** Per-image, per-category evaluation ({@code evaluateImg} result). */
    static final class EvalImg {
        long[] dtIds, gtIds;
        long[][] dtMatches; // [T][D] matched GT id, 0 = none
        long[][] gtMatches; // [T][G]
        double[] dtScores;
        boolean[] gtIgnore;
        boolean[][] dtIgnore; // [T][D]
    }

    private final CocoDataset gt;
    private final List<CocoAnnotation> dt;
    public final Params params;
    private record Key(long img, long cat) {}

    private long[] imgIds, catIds, realCatIds;
    private final Map<Key, List<CocoAnnotation>> gts = new HashMap<>(), dts = new HashMap<>();
    private final Map<Key, double[][]> ious = new HashMap<>(); // (img, cat) -> [D][G] with dt sorted by score
    private EvalImg[] evalImgs;
    private double[] precision; // [T][R][K][A][M]
    private double[] recall; // [T][K][A][M]
    private int T, R, K, A, M;
    private double[] stats;

    public CocoEval(CocoDataset gt, List<CocoAnnotation> dt) {
        this(gt, dt, new Params());
    }

    public CocoEval(CocoDataset gt, List<CocoAnnotation> dt, Params params) {
        this.gt = gt;
        this.dt = List.copyOf(dt);
        this.params = params;
    }

    /** Convenience: evaluate + accumulate + summarize, returning the 12 standard stats. */
    public static double[] run(CocoDataset gt, List<CocoAnnotation> dt) {
        CocoEval e = new CocoEval(gt, dt);
        e.evaluate();
        e.accumulate();
        return e.summarize();
    }

    private static long[] sortedUnique(List<Long> ids) {
        return new TreeSet<>(ids).stream().mapToLong(Long::longValue).toArray();
    }

    /** {@code evaluate()}: per-image matching for every category, area range and image. */
    public void evaluate() {
        Params p = params;
        imgIds = sortedUnique(p.imgIds != null ? p.imgIds : new ArrayList<>(gt.images().keySet()));
        realCatIds = sortedUnique(p.catIds != null ? p.catIds : gt.categoryIds());
        catIds = p.useCats ? realCatIds : new long[] {-1};
        int[] maxDets = p.maxDets.clone();
        Arrays.sort(maxDets);
        p.maxDets = maxDets;
        prepare();
        int maxDet = maxDets[maxDets.length - 1];
        for (long img : imgIds) for (long cat : catIds) ious.put(new Key(img, cat), computeIoU(img, cat, maxDet));
        evalImgs = new EvalImg[catIds.length * p.areaRng.length * imgIds.length];
        int n = 0;
        for (long cat : catIds) for (double[] aRng : p.areaRng) for (long img : imgIds) evalImgs[n++] = evaluateImg(img, cat, aRng, maxDet);
    }

    private void prepare() {
        Set<Long> imgSet = new HashSet<>();
        for (long i : imgIds) imgSet.add(i);
        Set<Long> catSet = new HashSet<>();
        for (long c : realCatIds) catSet.add(c);
        // getAnnIds(imgIds, catIds): annotations grouped by image in p.imgIds order, file order within an image
        Map<Long, List<CocoAnnotation>> gtByImg = byImage(gt.annotations()), dtByImg = byImage(dt);
        for (long img : imgIds) {
            for (CocoAnnotation a : gtByImg.getOrDefault(img, List.of()))
                if (catSet.contains(a.categoryId())) gts.computeIfAbsent(new Key(img, a.categoryId()), k -> new ArrayList<>()).add(a);
            for (CocoAnnotation a : dtByImg.getOrDefault(img, List.of()))
                if (catSet.contains(a.categoryId())) dts.computeIfAbsent(new Key(img, a.categoryId()), k -> new ArrayList<>()).add(a);
        }
    }

    /** {@code _gts[img, cat]}, or with useCats=0 the concatenation over p.catIds (category-major, as upstream). */
    private List<CocoAnnotation> anns(Map<Key, List<CocoAnnotation>> map, long img, long cat) {
        if (params.useCats) return map.getOrDefault(new Key(img, cat), List.of());
        List<CocoAnnotation> all = new ArrayList<>();
        for (long c : realCatIds) all.addAll(map.getOrDefault(new Key(img, c), List.of()));
        return all;
    }

    private static Map<Long, List<CocoAnnotation>> byImage(List<CocoAnnotation> anns) {
        Map<Long, List<CocoAnnotation>> m = new HashMap<>();
        for (CocoAnnotation a : anns) m.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
        return m;
    }

    /** Stable sort by descending score (numpy argsort(-score, kind='mergesort')). */
    private static List<CocoAnnotation> sortByScore(List<CocoAnnotation> d) {
        List<CocoAnnotation> s = new ArrayList<>(d);
        s.sort(Comparator.comparingDouble(a -> -a.score())); // List.sort is a stable merge sort
        return s;
    }

    private double[][] computeIoU(long img, long cat, int maxDet) {
        List<CocoAnnotation> g = anns(gts, img, cat), d = anns(dts, img, cat);
        if (g.isEmpty() && d.isEmpty()) return new double[0][0];
        d = sortByScore(d);
        if (d.size() > maxDet) d = d.subList(0, maxDet);
        if (d.isEmpty() || g.isEmpty()) return new double[0][0];
        double[][] o = new double[d.size()][g.size()];
        for (int i = 0; i < d.size(); i++) {
            Rle dm = d.get(i).mask();
            for (int j = 0; j < g.size(); j++) o[i][j] = Rle.iou(dm, g.get(j).mask(), g.get(j).iscrowd());
        }
        return o;
    }

    private EvalImg evaluateImg(long img, long cat, double[] aRng, int maxDet) {
        List<CocoAnnotation> g = anns(gts, img, cat), d = anns(dts, img, cat);
        if (g.isEmpty() && d.isEmpty()) return null;
        int G = g.size();
        boolean[] ign = new boolean[G];
        for (int i = 0; i < G; i++) {
            CocoAnnotation a = g.get(i);
            ign[i] = a.iscrowd() || a.area() < aRng[0] || a.area() > aRng[1];
        }
        // gt sorted with ignored last (stable)
        Integer[] gtind = new Integer[G];
        for (int i = 0; i < G; i++) gtind[i] = i;
        Arrays.sort(gtind, Comparator.comparingInt(i -> ign[i] ? 1 : 0));
        List<CocoAnnotation> gs = new ArrayList<>(G);
        boolean[] gtIg = new boolean[G];
        for (int i = 0; i < G; i++) {
            gs.add(g.get(gtind[i]));
            gtIg[i] = ign[gtind[i]];
        }
        List<CocoAnnotation> ds = sortByScore(d);
        if (ds.size() > maxDet) ds = ds.subList(0, maxDet);
        int D = ds.size();
        double[][] iouAll = ious.get(new Key(img, cat));
        int T = params.iouThrs.length;
        long[][] gtm = new long[T][G], dtm = new long[T][D];
        boolean[][] dtIg = new boolean[T][D];
        if (iouAll.length > 0) {
            for (int t = 0; t < T; t++) {
                for (int di = 0; di < D; di++) {
                    double iou = Math.min(params.iouThrs[t], 1 - 1e-10);
                    int m = -1;
                    for (int gi = 0; gi < G; gi++) {
                        if (gtm[t][gi] > 0 && !gs.get(gi).iscrowd()) continue;
                        if (m > -1 && !gtIg[m] && gtIg[gi]) break;
                        double v = iouAll[di][gtind[gi]];
                        if (v < iou) continue;
                        iou = v;
                        m = gi;
                    }
                    if (m == -1) continue;
                    dtIg[t][di] = gtIg[m];
                    dtm[t][di] = gs.get(m).id();
                    gtm[t][m] = ds.get(di).id();
                }
            }
        }
        for (int di = 0; di < D; di++) {
            double ar = ds.get(di).area();
            boolean out = ar < aRng[0] || ar > aRng[1];
            for (int t = 0; t < T; t++) dtIg[t][di] = dtIg[t][di] || (dtm[t][di] == 0 && out);
        }
        EvalImg e = new EvalImg();
        e.dtIds = ds.stream().mapToLong(CocoAnnotation::id).toArray();
        e.gtIds = gs.stream().mapToLong(CocoAnnotation::id).toArray();
        e.dtMatches = dtm;
        e.gtMatches = gtm;
        e.dtScores = ds.stream().mapToDouble(CocoAnnotation::score).toArray();
        e.gtIgnore = gtIg;
        e.dtIgnore = dtIg;
        return e;
    }

    /** {@code accumulate()}: precision [T,R,K,A,M] and recall [T,K,A,M], -1 where absent. */
    public void accumulate() {
        if (evalImgs == null) throw new IllegalStateException("run evaluate() first");
        Params p = params;
        T = p.iouThrs.length;
        R = p.recThrs.length;
        K = catIds.length;
        A = p.areaRng.length;
        M = p.maxDets.length;
        precision = new double[T * R * K * A * M];
        recall = new double[T * K * A * M];
        Arrays.fill(precision, -1);
        Arrays.fill(recall, -1);
        int I0 = imgIds.length, A0 = A;
        for (int k = 0; k < K; k++) {
            int Nk = k * A0 * I0;
            for (int a = 0; a < A; a++) {
                int Na = a * I0;
                for (int m = 0; m < M; m++) {
                    int maxDet = p.maxDets[m];
                    List<EvalImg> E = new ArrayList<>();
                    for (int i = 0; i < I0; i++) if (evalImgs[Nk + Na + i] != null) E.add(evalImgs[Nk + Na + i]);
                    if (E.isEmpty()) continue;
                    int nd = 0;
                    for (EvalImg e : E) nd += Math.min(maxDet, e.dtScores.length);
                    double[] scores = new double[nd];
                    long[][] dtm = new long[T][nd];
                    boolean[][] dtIg = new boolean[T][nd];
                    int c = 0;
                    int npig = 0;
                    for (EvalImg e : E) {
                        int n = Math.min(maxDet, e.dtScores.length);
                        for (int j = 0; j < n; j++) {
                            scores[c + j] = e.dtScores[j];
                            for (int t = 0; t < T; t++) {
                                dtm[t][c + j] = e.dtMatches[t][j];
                                dtIg[t][c + j] = e.dtIgnore[t][j];
                            }
                        }
                        c += n;
                        for (boolean g : e.gtIgnore) if (!g) npig++;
                    }
                    if (npig == 0) continue;
                    Integer[] inds = new Integer[nd];
                    for (int i = 0; i < nd; i++) inds[i] = i;
                    Arrays.sort(inds, Comparator.comparingDouble(i -> -scores[i])); // stable merge sort
                    for (int t = 0; t < T; t++) {
                        double[] tp = new double[nd], fp = new double[nd];
                        long ctp = 0, cfp = 0;
                        for (int i = 0; i < nd; i++) {
                            int s = inds[i];
                            boolean matched = dtm[t][s] != 0, ig = dtIg[t][s];
                            if (matched && !ig) ctp++;
                            if (!matched && !ig) cfp++;
                            tp[i] = ctp;
                            fp[i] = cfp;
                        }
                        double[] rc = new double[nd], pr = new double[nd];
                        for (int i = 0; i < nd; i++) {
                            rc[i] = tp[i] / npig;
                            pr[i] = tp[i] / (fp[i] + tp[i] + Math.ulp(1.0));
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
                        for (int i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                        for (int r = 0; r < R; r++) {
                            int pi = searchsortedLeft(rc, p.recThrs[r]);
                            double q = pi < nd ? pr[pi] : 0; // upstream: IndexError stops filling, the rest stays 0
                            precision[(((t * R + r) * K + k) * A + a) * M + m] = q;
                        }
                    }
                }
            }
        }
    }

    /** numpy {@code searchsorted(a, v, side='left')}: first index i with a[i] >= v. */
    static int searchsortedLeft(double[] a, double v) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * {@code summarize()}: the 12 standard stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl); -1
     * where no entry exists. As upstream, stats[0] is taken at maxDets=100 literally and the others at
     * {@code maxDets[0..2]}.
     */
    public double[] summarize() {
        if (precision == null) throw new IllegalStateException("Please run accumulate() first");
        int[] md = params.maxDets;
        int last = md[Math.min(2, md.length - 1)];
        stats = new double[] {
            summ(true, null, "all", 100), summ(true, .5, "all", last), summ(true, .75, "all", last),
            summ(true, null, "small", last), summ(true, null, "medium", last), summ(true, null, "large", last),
            summ(false, null, "all", md[0]), summ(false, null, "all", md[Math.min(1, md.length - 1)]), summ(false, null, "all", last),
            summ(false, null, "small", last), summ(false, null, "medium", last), summ(false, null, "large", last)};
        return stats.clone();
    }

    private double summ(boolean ap, Double iouThr, String areaLbl, int maxDets) {
        List<Integer> tl = new ArrayList<>();
        for (int t = 0; t < T; t++) if (iouThr == null || iouThr == params.iouThrs[t]) tl.add(t);
        List<Integer> al = new ArrayList<>(), ml = new ArrayList<>();
        for (int a = 0; a < A; a++) if (params.areaRngLbl[a].equals(areaLbl)) al.add(a);
        for (int m = 0; m < M; m++) if (params.maxDets[m] == maxDets) ml.add(m);
        // numpy fancy indexing s[:, :, :, aind, mind] pairs the two index lists element-wise
        int pairs = Math.min(al.size(), ml.size());
        if (al.size() != ml.size() && al.size() != 1 && ml.size() != 1)
            throw new IllegalStateException("area and maxDets index lists cannot be broadcast");
        pairs = Math.max(al.size(), ml.size());
        List<Double> vals = new ArrayList<>();
        for (int t : tl) {
            if (ap) {
                for (int r = 0; r < R; r++)
                    for (int k = 0; k < K; k++)
                        for (int q = 0; q < pairs && !al.isEmpty() && !ml.isEmpty(); q++) {
                            int a = al.get(al.size() == 1 ? 0 : q), m = ml.get(ml.size() == 1 ? 0 : q);
                            double v = precision[(((t * R + r) * K + k) * A + a) * M + m];
                            if (v > -1) vals.add(v);
                        }
            } else {
                for (int k = 0; k < K; k++)
                    for (int q = 0; q < pairs && !al.isEmpty() && !ml.isEmpty(); q++) {
                        int a = al.get(al.size() == 1 ? 0 : q), m = ml.get(ml.size() == 1 ? 0 : q);
                        double v = recall[((t * K + k) * A + a) * M + m];
                        if (v > -1) vals.add(v);
                    }
            }
        }
        if (vals.isEmpty()) return -1;
        double[] arr = new double[vals.size()];
        for (int i = 0; i < arr.length; i++) arr[i] = vals.get(i);
        return pairwiseSum(arr, 0, arr.length) / arr.length;
    }

    /** numpy's pairwise summation (the algorithm np.mean uses for contiguous float64). */
    static double pairwiseSum(double[] a, int off, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) res += a[off + i];
            return res;
        } else if (n <= 128) {
            double[] r = new double[8];
            for (int j = 0; j < 8; j++) r[j] = a[off + j];
            int i;
            for (i = 8; i < n - (n % 8); i += 8) for (int j = 0; j < 8; j++) r[j] += a[off + i + j];
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[off + i];
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
        }
    }

    /** precision[t, r, k, a, m] after {@link #accumulate()}. */
    public double precision(int t, int r, int k, int a, int m) { return precision[(((t * R + r) * K + k) * A + a) * M + m]; }

    /** recall[t, k, a, m] after {@link #accumulate()}. */
    public double recall(int t, int k, int a, int m) { return recall[((t * K + k) * A + a) * M + m]; }

    public static final String[] STAT_NAMES = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
}
