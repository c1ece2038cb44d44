package org.calico.data.synth;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;

import org.calico.data.AnswerGrammar;
import org.calico.data.Categories;
import org.calico.data.DatasetStats;
import org.calico.data.ImageRef;
import org.calico.data.Jsonl;
import org.calico.data.ObjectRef;
import org.calico.data.Progress;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.api.Task;
import org.calico.image.RgbImage;
import org.calico.mask.CocoRle;
import org.calico.mask.Rle;

/**
 * Procedurally drawn part-objects in the MixedParts sample format: the training and test data of the embedded
 * default model. Every image shows one object of a {@link SynthCategory} (plus, for common-object samples, sometimes a
 * distractor object of another family) at a random scale, position, small rotation and flip, with random part
 * colours, mild texture and noise on a simple random background. Masks come from the same label raster the colours
 * are painted from, so they are pixel-exact.
 *
 * <p>Deterministic: sample {@code i} of split {@code s} with seed {@code S} depends only on (S, s, i), so splits (and
 * seeds) never share images or ids. Thread-safe; {@link #generateSplit} uses all cores.
 */
public final class SynthGenerator {
    /** Generation options; {@link #defaults()} is what {@code ./calico synth} uses. */
    public record Options(int size, int imagesPerSample, double distractorProb, double sameCategoryParts, List<Task> tasks, int minPartPixels,
                          boolean categoryHues) {
        public Options {
            if (size < 32 || size > 4096) throw new IllegalArgumentException("--size must be in [32, 4096], got " + size);
            if (imagesPerSample < 2 || imagesPerSample > 8) throw new IllegalArgumentException("--images must be in [2, 8], got " + imagesPerSample);
            if (distractorProb < 0 || distractorProb > 1) throw new IllegalArgumentException("--distractor-prob must be in [0, 1], got " + distractorProb);
            if (sameCategoryParts < 0 || sameCategoryParts > 1) throw new IllegalArgumentException("--same-category-parts must be in [0, 1], got " + sameCategoryParts);
            if (tasks == null || tasks.isEmpty()) throw new IllegalArgumentException("at least one task is needed");
            tasks = List.copyOf(new LinkedHashSet<>(tasks));
            if (minPartPixels < 1) throw new IllegalArgumentException("minPartPixels must be >= 1");
        }

        public static Options defaults() {
            return new Options(128, 2, 0.3, 0.2, List.of(Task.values()), 24, true);
        }

        public Options withSize(int s) {
            return new Options(s, imagesPerSample, distractorProb, sameCategoryParts, tasks, Math.max(1, (int) Math.round(24.0 * s * s / (128.0 * 128.0))), categoryHues);
        }

        /** Category-typical hue of each object's first part (true, the default) or every part coloured at random. */
        public Options withCategoryHues(boolean on) {
            return new Options(size, imagesPerSample, distractorProb, sameCategoryParts, tasks, minPartPixels, on);
        }
    }

    /** One rendered image with its per-object, per-part masks. */
    public record Rendered(RgbImage image, List<RenderedObject> objects) {}

    /** A drawn object: its category, object mask, and part masks keyed by part name (answer order). */
    public record RenderedObject(SynthCategory category, Rle mask, Map<String, Rle> parts, boolean target) {}

    private final Options opt;
    private final Categories categories;

    public SynthGenerator(Options opt) {
        this.opt = opt;
        this.categories = categories();
    }

    /** The fixed category tables: 12 objects in 5 families, part ids in first-appearance order. */
    public static Categories categories() {
        List<Categories.ObjectCategory> objs = new ArrayList<>();
        Map<String, Integer> partIds = new LinkedHashMap<>();
        int id = 1;
        for (SynthCategory c : SynthCategory.values()) {
            objs.add(new Categories.ObjectCategory(id++, c.categoryName(), c.family(), c.parts()));
            for (String p : c.parts()) partIds.putIfAbsent(p, partIds.size() + 1);
        }
        List<Categories.PartCategory> parts = new ArrayList<>();
        partIds.forEach((n, i) -> parts.add(new Categories.PartCategory(i, n)));
        return new Categories(objs, parts);
    }

    /** Comparable pairs: categories of the same family sharing at least one part name (the MixedParts rule). */
    public static List<SynthCategory[]> comparablePairs() {
        List<SynthCategory[]> out = new ArrayList<>();
        SynthCategory[] v = SynthCategory.values();
        for (int i = 0; i < v.length; i++)
            for (int j = i + 1; j < v.length; j++)
                if (v[i].family().equals(v[j].family()) && v[i].parts().stream().anyMatch(v[j].parts()::contains)) out.add(new SynthCategory[] {v[i], v[j]});
        return out;
    }

    /** Every word of every prompt, answer and name this generator can write (lower case; tokens like [SEG] kept). */
    public static Set<String> vocabulary() {
        Set<String> words = new TreeSet<>();
        for (Task t : Task.values()) {
            for (String w : AnswerGrammar.prompt(t, 8).split("\\s+")) words.add(w.replaceAll("[.?,]$", "").toLowerCase());
            for (String w : t.answerHead().split("\\s+")) words.add(w.toLowerCase());
        }
        words.addAll(List.of("<p>", "</p>", "[seg]", "and", "the"));
        for (SynthCategory c : SynthCategory.values()) {
            words.add(c.categoryName());
            words.addAll(c.parts());
        }
        return words;
    }

    static long mix(long... xs) {
        long h = 0x9E3779B97F4A7C15L;
        for (long x : xs) {
            h ^= x;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
            h *= 0x94D049BB133111EBL;
            h ^= h >>> 29;
        }
        return h;
    }

    private static long splitCode(String split) {
        long h = 1125899906842597L;
        for (int i = 0; i < split.length(); i++) h = 31 * h + split.charAt(i);
        return h;
    }

    /** The {@code j}-th element of an endless sequence of seeded shuffles of {@code list} (stratified choice). */
    static <T> T cyclePick(List<T> list, long j, long key) {
        int L = list.size();
        long cycle = j / L;
        int pos = (int) (j % L);
        int[] perm = IntStream.range(0, L).toArray();
        SplittableRandom r = new SplittableRandom(mix(key, cycle));
        for (int i = L - 1; i > 0; i--) {
            int k = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        return list.get(perm[pos]);
    }

    // ------------------------------------------------------------------ rendering

    private record Placed(SynthCategory cat, List<SynthCategory.Part> parts, AffineTransform tx, boolean target) {}

    private static Rectangle2D bounds(List<SynthCategory.Part> parts, AffineTransform tx) {
        Rectangle2D b = null;
        for (SynthCategory.Part p : parts) {
            Rectangle2D r = tx.createTransformedShape(p.shape()).getBounds2D();
            b = b == null ? r : b.createUnion(r);
        }
        return b;
    }

    private Placed place(SplittableRandom r, SynthCategory cat, double x0, double y0, double slotW, double slotH, double sizeLo, double sizeHi, boolean target) {
        List<SynthCategory.Part> parts = cat.draw(r);
        int S = opt.size();
        double want = S * Shapes.u(r, sizeLo, sizeHi);
        double scale = want / Math.max(cat.frameW, cat.frameH);
        double angle = Math.toRadians(Shapes.u(r, -12, 12));
        boolean flip = r.nextBoolean();
        for (int attempt = 0; ; attempt++) {
            AffineTransform core = new AffineTransform();
            core.rotate(angle);
            core.scale(scale, scale);
            if (flip) {
                core.translate(cat.frameW, 0);
                core.scale(-1, 1);
            }
            Rectangle2D b = bounds(parts, core);
            double margin = 2;
            double freeX = slotW - 2 * margin - b.getWidth(), freeY = slotH - 2 * margin - b.getHeight();
            if (freeX >= 0 && freeY >= 0) {
                double tx = x0 + margin + freeX * r.nextDouble() - b.getX(), ty = y0 + margin + freeY * r.nextDouble() - b.getY();
                AffineTransform t = AffineTransform.getTranslateInstance(tx, ty);
                t.concatenate(core);
                return new Placed(cat, parts, t, target);
            }
            scale *= 0.92;
            if (attempt > 40) throw new IllegalStateException("cannot fit " + cat.categoryName() + " into a " + slotW + "x" + slotH + " slot");
        }
    }

    /** Renders one image with the given objects (the first one is the target); retries until every target part is visible enough. */
    public Rendered render(SplittableRandom r, List<SynthCategory> objects) {
        for (int attempt = 0; attempt < 50; attempt++) {
            Rendered out = tryRender(r, objects);
            if (out != null) return out;
        }
        throw new IllegalStateException("could not render " + objects + " with every part >= " + opt.minPartPixels() + " px at size " + opt.size());
    }

    private Rendered tryRender(SplittableRandom r, List<SynthCategory> objects) {
        int S = opt.size();
        List<Placed> placed = new ArrayList<>();
        if (objects.size() == 1) {
            placed.add(place(r, objects.get(0), 0, 0, S, S, 0.6, 0.92, true));
        } else {
            boolean targetLeft = r.nextBoolean();
            double half = S / 2.0;
            for (int i = 0; i < objects.size(); i++) {
                boolean left = (i == 0) == targetLeft;
                placed.add(place(r, objects.get(i), left ? 0 : half, 0, half, S, 0.4, 0.5, i == 0));
            }
        }
        // label raster: 0 background, 1 + 16 * object + part index (answer order)
        BufferedImage lab = new BufferedImage(S, S, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = lab.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, S, S);
        for (int o = 0; o < placed.size(); o++) {
            Placed p = placed.get(o);
            for (SynthCategory.Part part : p.parts()) {
                int label = 1 + 16 * o + p.cat().parts().indexOf(part.name());
                g.setColor(new Color(label));
                Shape s = p.tx().createTransformedShape(part.shape());
                g.fill(s instanceof Area ? s : new Area(s));
            }
        }
        g.dispose();
        int[] labels = lab.getRGB(0, 0, S, S, null, 0, S);
        int[] count = new int[1 + 16 * placed.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] &= 0xffffff;
            count[labels[i]]++;
        }
        Placed target = placed.get(0);
        for (int k = 0; k < target.cat().parts().size(); k++) if (count[1 + k] < opt.minPartPixels()) return null;

        byte[] rgb = paint(r, labels, placed);
        List<RenderedObject> objs = new ArrayList<>();
        for (int o = 0; o < placed.size(); o++) {
            Placed p = placed.get(o);
            boolean[] objMask = new boolean[S * S];
            Map<String, Rle> parts = new LinkedHashMap<>();
            for (int k = 0; k < p.cat().parts().size(); k++) {
                int label = 1 + 16 * o + k;
                boolean[] m = new boolean[S * S];
                for (int i = 0; i < labels.length; i++)
                    if (labels[i] == label) {
                        m[i] = true;
                        objMask[i] = true;
                    }
                parts.put(p.cat().parts().get(k), Rle.encode(m, S, S));
            }
            objs.add(new RenderedObject(p.cat(), Rle.encode(objMask, S, S), parts, p.target()));
        }
        return new Rendered(new RgbImage(S, S, rgb), objs);
    }

    private static int[] hsv(SplittableRandom r, double sLo, double sHi, double vLo, double vHi) {
        int c = Color.HSBtoRGB((float) r.nextDouble(), (float) Shapes.u(r, sLo, sHi), (float) Shapes.u(r, vLo, vHi));
        return new int[] {(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff};
    }

    private static int[] hsvAt(SplittableRandom r, double hue, double sLo, double sHi, double vLo, double vHi) {
        double h = hue - Math.floor(hue);
        int c = Color.HSBtoRGB((float) h, (float) Shapes.u(r, sLo, sHi), (float) Shapes.u(r, vLo, vHi));
        return new int[] {(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff};
    }

    private static double dist(int[] a, int[] b) {
        double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
        return Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
    }

    /** A texture: kind 0 flat, 1 stripes, 2 speckle, 3 checker, 4 gradient; amplitude in grey levels. */
    private record Texture(int kind, double amp, double period, double cos, double sin) {
        static Texture random(SplittableRandom r) {
            double a = Math.toRadians(r.nextDouble() * 180);
            return new Texture(r.nextInt(5), Shapes.u(r, 6, 16), Shapes.u(r, 3, 8), Math.cos(a), Math.sin(a));
        }

        double at(int x, int y, SplittableRandom r, int S) {
            return switch (kind) {
                case 1 -> amp * Math.signum(Math.sin(2 * Math.PI * (x * cos + y * sin) / period));
                case 2 -> amp * (r.nextDouble() * 2 - 1);
                case 3 -> amp * ((((int) (x / period) + (int) (y / period)) & 1) == 0 ? 1 : -1);
                case 4 -> amp * 2 * ((x * cos + y * sin) / S - 0.5);
                default -> 0;
            };
        }
    }

    private byte[] paint(SplittableRandom r, int[] labels, List<Placed> placed) {
        int S = opt.size();
        // background
        int[] bg1 = hsv(r, 0.0, 0.5, 0.25, 0.95), bg2 = hsv(r, 0.0, 0.5, 0.25, 0.95);
        int bgStyle = r.nextInt(4);
        double horizon = Shapes.u(r, 0.55, 0.85) * S;
        Texture bgTex = new Texture(r.nextInt(3) == 0 ? 2 : 0, Shapes.u(r, 3, 8), 4, 1, 0);
        int[] bgMean = {(bg1[0] + bg2[0]) / 2, (bg1[1] + bg2[1]) / 2, (bg1[2] + bg2[2]) / 2};
        // part colours: far from the background and from each other within an object
        int maxLabel = 16 * placed.size() + 1;
        int[][] col = new int[maxLabel][];
        Texture[] tex = new Texture[maxLabel];
        for (int o = 0; o < placed.size(); o++) {
            List<int[]> used = new ArrayList<>();
            for (int k = 0; k < placed.get(o).cat().parts().size(); k++) {
                int[] c = null;
                // with categoryHues the first (main) part takes the category's hue (12 categories, 30 degrees apart, +-9 degrees
                // jitter; saturation, value and texture still vary): like real objects, categories have typical colours, which
                // is what lets a from-scratch tiny model recognise them within minutes (docs/training.md)
                boolean catHue = opt.categoryHues() && k == 0;
                double hue0 = placed.get(o).cat().ordinal() / (double) SynthCategory.values().length;
                for (int t = 0; t < 200; t++) {
                    int[] cand = catHue ? hsvAt(r, hue0 + (r.nextDouble() * 2 - 1) * 0.025, 0.45, 1.0, 0.45, 1.0) : hsv(r, 0.3, 1.0, 0.3, 1.0);
                    boolean ok = dist(cand, bg1) >= 90 && dist(cand, bg2) >= 90 && dist(cand, bgMean) >= 90;
                    for (int[] u : used) ok &= dist(cand, u) >= 75;
                    if (ok || t == 199) {
                        c = cand;
                        break;
                    }
                }
                used.add(c);
                col[1 + 16 * o + k] = c;
                tex[1 + 16 * o + k] = Texture.random(r);
            }
        }
        double noise = Shapes.u(r, 2, 6);
        byte[] out = new byte[S * S * 3];
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                int i = y * S + x, l = labels[i];
                double cr, cg, cb, t;
                if (l == 0) {
                    int[] c = switch (bgStyle) {
                        case 1 -> y < horizon ? bg1 : bg2;
                        default -> bg1;
                    };
                    if (bgStyle == 2) {
                        double f = (double) y / S;
                        cr = bg1[0] * (1 - f) + bg2[0] * f;
                        cg = bg1[1] * (1 - f) + bg2[1] * f;
                        cb = bg1[2] * (1 - f) + bg2[2] * f;
                    } else {
                        cr = c[0];
                        cg = c[1];
                        cb = c[2];
                    }
                    t = bgTex.at(x, y, r, S);
                    if (bgStyle == 3) t += 8 * Math.sin(x * 0.11 + 1.7 * Math.sin(y * 0.07));
                } else {
                    int[] c = col[l];
                    cr = c[0];
                    cg = c[1];
                    cb = c[2];
                    t = tex[l].at(x, y, r, S);
                }
                double n = noise * (r.nextDouble() * 2 - 1);
                out[i * 3] = (byte) clamp(cr + t + n);
                out[i * 3 + 1] = (byte) clamp(cg + t + n);
                out[i * 3 + 2] = (byte) clamp(cb + t + n);
            }
        }
        return out;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    // ------------------------------------------------------------------ samples

    /** Sample id for (seed, split, index). */
    public static String sampleId(long seed, String split, int index) {
        return String.format("synth-%s-s%d-%06d", split, seed, index);
    }

    /**
     * Generates sample {@code index} of {@code split} and writes its images under {@code outDir/images/<split>/}.
     * Task and categories are stratified: task = tasks[index % #tasks], categories cycle through seeded shuffles.
     */
    public Sample generate(Path outDir, String split, long seed, int index) {
        List<Task> tasks = opt.tasks();
        Task task = tasks.get(index % tasks.size());
        long j = index / tasks.size();
        long splitKey = splitCode(split);
        SplittableRandom r = new SplittableRandom(mix(seed, splitKey, index));
        int n = opt.imagesPerSample();
        List<SynthCategory> cats = new ArrayList<>();
        switch (task) {
            case COMMON_OBJECT -> {
                SynthCategory c = cyclePick(List.of(SynthCategory.values()), j, mix(seed, splitKey, 1));
                for (int k = 0; k < n; k++) cats.add(c);
            }
            case COMMON_PARTS, UNIQUE_PARTS -> {
                SynthCategory[] pair = cyclePick(comparablePairs(), j, mix(seed, splitKey, task.ordinal() + 10));
                boolean same = task == Task.COMMON_PARTS && r.nextDouble() < opt.sameCategoryParts();
                boolean swap = r.nextBoolean();
                for (int k = 0; k < n; k++) {
                    SynthCategory c = pair[(k + (swap ? 1 : 0)) % 2];
                    cats.add(same ? pair[swap ? 1 : 0] : c);
                }
            }
        }
        // distractors (common-object only): other families, distinct across the sample's images
        List<List<SynthCategory>> perImage = new ArrayList<>();
        Set<SynthCategory> usedDistractors = new LinkedHashSet<>();
        for (int k = 0; k < n; k++) {
            List<SynthCategory> objs = new ArrayList<>();
            objs.add(cats.get(k));
            if (task == Task.COMMON_OBJECT && r.nextDouble() < opt.distractorProb()) {
                List<SynthCategory> pool = new ArrayList<>();
                for (SynthCategory c : SynthCategory.values())
                    if (!c.family().equals(cats.get(k).family()) && !usedDistractors.contains(c)) pool.add(c);
                SynthCategory d = pool.get(r.nextInt(pool.size()));
                usedDistractors.add(d);
                objs.add(d);
            }
            perImage.add(objs);
        }
        String id = sampleId(seed, split, index);
        List<ImageRef> images = new ArrayList<>();
        List<RenderedObject> targets = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Rendered rd = render(r, perImage.get(k));
            String rel = "images/" + split + "/" + id.substring("synth-".length() + split.length() + 1) + "-" + (k + 1) + ".png";
            rd.image().writePng(outDir.resolve(rel));
            images.add(new ImageRef(rel, opt.size(), opt.size()));
            targets.add(rd.objects().get(0));
        }
        return assemble(id, split, task, images, targets);
    }

    private Sample assemble(String id, String split, Task task, List<ImageRef> images, List<RenderedObject> targets) {
        int n = images.size();
        List<Segment> segs = new ArrayList<>();
        List<ObjectRef> objects = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            SynthCategory c = targets.get(k).category();
            Categories.ObjectCategory oc = categories.object(c.categoryName());
            objects.add(new ObjectRef(k, oc.id(), oc.name(), oc.supercategory(), c.parts()));
        }
        switch (task) {
            case COMMON_OBJECT -> {
                for (int k = 0; k < n; k++) {
                    RenderedObject o = targets.get(k);
                    segs.add(objectSegment(o, k));
                }
            }
            case COMMON_PARTS -> {
                List<String> common = new ArrayList<>(targets.get(0).category().parts());
                for (RenderedObject o : targets) common.retainAll(o.category().parts());
                for (String p : common) for (int k = 0; k < n; k++) segs.add(partSegment(targets.get(k), k, p));
            }
            case UNIQUE_PARTS -> {
                for (int k = 0; k < n; k++) {
                    for (String p : targets.get(k).category().parts()) {
                        boolean elsewhere = false;
                        for (int q = 0; q < n; q++) if (q != k && targets.get(q).category().parts().contains(p)) elsewhere = true;
                        if (!elsewhere) segs.add(partSegment(targets.get(k), k, p));
                    }
                }
            }
        }
        List<AnswerGrammar.Grounding> gr = segs.stream().map(s -> new AnswerGrammar.Grounding(s.phrase(), s.image())).toList();
        return new Sample(id, split, task, "synth", images, AnswerGrammar.prompt(task, n), AnswerGrammar.answer(task, gr), segs, objects).validate();
    }

    private Segment objectSegment(RenderedObject o, int k) {
        Categories.ObjectCategory oc = categories.object(o.category().categoryName());
        return new Segment(AnswerGrammar.phrase(oc.name()), k, CocoRle.of(o.mask()), oc.id(), oc.name(), null, null);
    }

    private Segment partSegment(RenderedObject o, int k, String part) {
        Categories.ObjectCategory oc = categories.object(o.category().categoryName());
        return new Segment(AnswerGrammar.phrase(part), k, CocoRle.of(o.parts().get(part)), oc.id(), oc.name(), categories.partId(part), part);
    }

    /**
     * Generates {@code count} samples of {@code split} in parallel, writes {@code <split>.jsonl}, {@code categories.json},
     * {@code dataset.json} and refreshes {@code stats.json}/{@code stats.md} over all splits present.
     */
    public List<Sample> generateSplit(Path outDir, String split, int count, long seed, boolean progress) {
        if (count < 0) throw new IllegalArgumentException("--pairs must be >= 0, got " + count);
        if (!split.matches("[a-z0-9_-]+")) throw new IllegalArgumentException("split name must match [a-z0-9_-]+, got '" + split + "'");
        List<Sample> samples;
        try (Progress bar = new Progress("synth " + split, count, progress)) {
            samples = IntStream.range(0, count).parallel().mapToObj(i -> {
                Sample s = generate(outDir, split, seed, i);
                bar.step();
                return s;
            }).toList();
        }
        Jsonl.write(outDir.resolve(split + ".jsonl"), samples);
        categories.write(outDir.resolve("categories.json"));
        writeDatasetInfo(outDir);
        DatasetStats.ofDirectory(outDir).write(outDir);
        return samples;
    }

    private void writeDatasetInfo(Path outDir) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("format", org.calico.data.DatasetDir.FORMAT);
        info.put("source", "synth");
        info.put("size", opt.size());
        info.put("category_hues", opt.categoryHues());
        info.put("images_per_sample", opt.imagesPerSample());
        info.put("distractor_prob", opt.distractorProb());
        info.put("same_category_parts", opt.sameCategoryParts());
        info.put("tasks", opt.tasks().stream().map(Task::id).toList());
        info.put("vocabulary", vocabulary());
        try {
            Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("dataset.json").toFile(), info);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot write " + outDir.resolve("dataset.json") + ": " + e.getMessage(), e);
        }
    }
}
