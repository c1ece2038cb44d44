package org.calico.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

import org.calico.data.source.SourceImage;
import org.calico.data.source.SourceSet;
import org.calico.mask.CocoRle;
import org.calico.mask.Rle;

import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Builds MixedParts samples from part-annotated sources ({@link SourceSet}): comparable category pairs from a curated,
 * editable list (kept when the two categories share at least one part name) or from that rule alone; per split and
 * per pair {@code perPair} samples for common parts and for unique parts, per category {@code perCategory}
 * common-object samples (stratified: every pair/category gets the same budget); answers in the paper's grammar;
 * deterministic for a seed; JSONL + categories + statistics output.
 *
 * <p>Choices (documented in docs/data.md): one object instance per image (images where the category appears more
 * than {@code maxInstances} times are skipped, so the target is unambiguous); regions of a part name on the instance
 * are merged; parts smaller than {@code minPartPixels} are dropped; a part is <i>common</i> when annotated on every
 * instance and <i>unique</i> to an image when no other image's category has that part name (a part annotated on one
 * instance but in the other category's vocabulary is neither); parts are listed alphabetically.
 */
public final class MixedPartsBuilder {
    /** Builder options; {@link #defaults()} is what {@code ./calico build-dataset} uses. */
    public record Options(long seed, int perPair, int perCategory, int maxInstances, int minPartPixels, int minObjectPixels, List<Task> tasks,
                          boolean copyImages, boolean checkImages) {
        public Options {
            if (perPair < 0 || perCategory < 0) throw new IllegalArgumentException("--per-pair/--per-category must be >= 0");
            if (maxInstances < 1) throw new IllegalArgumentException("--max-instances must be >= 1");
            tasks = List.copyOf(new LinkedHashSet<>(tasks));
        }

        public static Options defaults() {
            return new Options(0, 4, 4, 1, 64, 256, List.of(Task.values()), false, true);
        }

        public Options with(long seedV, int perPairV, int perCategoryV) {
            return new Options(seedV, perPairV, perCategoryV, maxInstances, minPartPixels, minObjectPixels, tasks, copyImages, checkImages);
        }
    }

    /** A pair entry: category names, or {@code @Supercategory}. */
    public record PairSpec(String a, String b) {}

    /** The outcome: samples per split, the pairs used and dropped, warnings. */
    public record Result(List<Sample> samples, List<String> pairs, List<String> droppedPairs, List<String> warnings) {}

    private record Candidate(SourceImage image, SourceImage.SourceObject object) {
        String category() { return object.category(); }
    }

    private final Options opt;

    public MixedPartsBuilder(Options opt) {
        this.opt = opt;
    }

    /** The built-in curated pair list (resource {@code mixedparts-pairs.txt}). */
    public static List<PairSpec> defaultPairs() {
        try (InputStream in = MixedPartsBuilder.class.getResourceAsStream("mixedparts-pairs.txt")) {
            return parsePairs(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in mixedparts-pairs.txt");
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing resource mixedparts-pairs.txt", e);
        }
    }

    public static List<PairSpec> readPairs(Path file) {
        try {
            return parsePairs(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pair list " + file + ": " + e.getMessage(), e);
        }
    }

    static List<PairSpec> parsePairs(String text, String where) {
        List<PairSpec> out = new ArrayList<>();
        int n = 0;
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
            for (String line; (line = r.readLine()) != null; ) {
                n++;
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] ab = line.split("\\|");
                if (ab.length != 2 || ab[0].isBlank() || ab[1].isBlank())
                    throw new IllegalArgumentException(where + " line " + n + ": expected 'A | B', got '" + line + "'");
                out.add(new PairSpec(ab[0].strip(), ab[1].strip()));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Builds the samples of every split present in {@code src} and writes {@code <split>.jsonl}, {@code categories.json},
     * {@code dataset.json}, {@code stats.json}/{@code stats.md} into {@code out}.
     *
     * @param pairs the pair list, or null for the automatic rule (every two categories sharing a part name)
     */
    public Result build(SourceSet src, List<PairSpec> pairs, Path out, boolean progress) {
        List<String> warnings = new ArrayList<>(src.warnings());
        // candidates: one instance of a category per image, with at least one part
        Map<String, Map<String, List<Candidate>>> bySplit = new TreeMap<>(); // split -> category -> candidates
        Map<String, Set<String>> vocab = new TreeMap<>();
        Map<String, String> superOf = new HashMap<>();
        int crowded = 0;
        for (SourceImage im : src.images()) {
            Map<String, Integer> count = new HashMap<>();
            for (SourceImage.SourceObject o : im.objects()) count.merge(o.category(), 1, Integer::sum);
            for (SourceImage.SourceObject o : im.objects()) {
                for (SourceImage.SourcePart p : o.parts()) vocab.computeIfAbsent(o.category(), k -> new TreeSet<>()).add(p.name());
                if (o.supercategory() != null) superOf.putIfAbsent(o.category(), o.supercategory());
                if (o.parts().isEmpty()) continue;
                if (count.get(o.category()) > opt.maxInstances()) {
                    crowded++;
                    continue;
                }
                bySplit.computeIfAbsent(im.split(), k -> new TreeMap<>()).computeIfAbsent(o.category(), k -> new ArrayList<>()).add(new Candidate(im, o));
            }
        }
        if (crowded > 0) warnings.add(crowded + " object instance(s) skipped: their category appears more than " + opt.maxInstances() + " time(s) in the image");

        List<String[]> pairList = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        expandPairs(pairs, vocab, superOf, pairList, dropped);
        Categories cats = categories(vocab, superOf);

        List<Sample> all = new ArrayList<>();
        long jobs = 0;
        for (Map<String, List<Candidate>> m : bySplit.values()) jobs += (long) m.size() * opt.perCategory() + (long) pairList.size() * opt.perPair() * 2;
        try (Progress bar = new Progress("build-dataset", jobs, progress)) {
            for (Map.Entry<String, Map<String, List<Candidate>>> e : bySplit.entrySet()) {
                String split = e.getKey();
                List<Sample> ss = new ArrayList<>();
                Map<String, Cycler> cyclers = new HashMap<>();
                for (Map.Entry<String, List<Candidate>> c : e.getValue().entrySet())
                    cyclers.put(c.getKey(), new Cycler(c.getValue(), new SplittableRandom(mix(opt.seed(), split.hashCode(), c.getKey().hashCode()))));
                int[] counter = new int[1];
                if (opt.tasks().contains(Task.COMMON_OBJECT)) {
                    for (String c : e.getValue().keySet()) {
                        for (int q = 0; q < opt.perCategory(); q++) {
                            Sample s = attempt(Task.COMMON_OBJECT, split, cyclers.get(c), cyclers.get(c), vocab, cats, counter, out, src.source());
                            if (s != null) ss.add(s);
                            bar.step();
                        }
                    }
                }
                for (Task t : List.of(Task.COMMON_PARTS, Task.UNIQUE_PARTS)) {
                    if (!opt.tasks().contains(t)) {
                        bar.advance((long) pairList.size() * opt.perPair());
                        continue;
                    }
                    for (String[] p : pairList) {
                        Cycler ca = cyclers.get(p[0]), cb = cyclers.get(p[1]);
                        for (int q = 0; q < opt.perPair(); q++) {
                            if (ca != null && cb != null) {
                                Sample s = attempt(t, split, ca, cb, vocab, cats, counter, out, src.source());
                                if (s != null) ss.add(s);
                            }
                            bar.step();
                        }
                    }
                }
                Jsonl.write(out.resolve(split + ".jsonl"), ss);
                all.addAll(ss);
            }
        }
        cats.write(out.resolve("categories.json"));
        DatasetStats.of(all).write(out);
        writeInfo(out, src, pairList, dropped);
        List<String> used = pairList.stream().map(p -> p[0] + " | " + p[1]).toList();
        return new Result(all, used, dropped, warnings);
    }

    private static long mix(long... xs) {
        long h = 0x9E3779B97F4A7C15L;
        for (long x : xs) {
            h ^= x;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }

    /** Candidates of a category in a seeded, endlessly re-shuffled order. */
    private static final class Cycler {
        final List<Candidate> items;
        final SplittableRandom rnd;
        final List<Candidate> order = new ArrayList<>();
        int pos;

        Cycler(List<Candidate> items, SplittableRandom rnd) {
            this.items = items;
            this.rnd = rnd;
        }

        Candidate next() {
            if (pos >= order.size()) {
                order.clear();
                order.addAll(items);
                for (int i = order.size() - 1; i > 0; i--) {
                    int k = rnd.nextInt(i + 1);
                    Candidate t = order.get(i);
                    order.set(i, order.get(k));
                    order.set(k, t);
                }
                pos = 0;
            }
            return order.get(pos++);
        }
    }

    private void expandPairs(List<PairSpec> pairs, Map<String, Set<String>> vocab, Map<String, String> superOf, List<String[]> out, List<String> dropped) {
        Set<String> seen = new LinkedHashSet<>();
        List<String> names = new ArrayList<>(vocab.keySet());
        if (pairs == null) {
            for (int i = 0; i < names.size(); i++)
                for (int j = i + 1; j < names.size(); j++)
                    if (share(vocab.get(names.get(i)), vocab.get(names.get(j)))) add(out, seen, names.get(i), names.get(j));
            return;
        }
        for (PairSpec p : pairs) {
            List<String> as = match(p.a(), names, superOf), bs = match(p.b(), names, superOf);
            if (as.isEmpty() || bs.isEmpty()) {
                dropped.add(p.a() + " | " + p.b() + " (" + (as.isEmpty() ? p.a() : p.b()) + " not in the sources)");
                continue;
            }
            int kept = 0;
            for (String a : as)
                for (String b : bs) {
                    if (a.equals(b)) continue;
                    if (share(vocab.get(a), vocab.get(b))) {
                        add(out, seen, a, b);
                        kept++;
                    }
                }
            if (kept == 0) dropped.add(p.a() + " | " + p.b() + " (no shared part name)");
        }
    }

    private static void add(List<String[]> out, Set<String> seen, String a, String b) {
        String x = a.compareTo(b) < 0 ? a : b, y = a.compareTo(b) < 0 ? b : a;
        if (seen.add(x + "\u0000" + y)) out.add(new String[] {x, y});
    }

    private static List<String> match(String spec, List<String> names, Map<String, String> superOf) {
        List<String> out = new ArrayList<>();
        if (spec.startsWith("@")) {
            String sup = spec.substring(1);
            for (String n : names) if (sup.equalsIgnoreCase(superOf.get(n))) out.add(n);
        } else if (names.contains(spec)) {
            out.add(spec);
        }
        return out;
    }

    private static boolean share(Set<String> a, Set<String> b) {
        if (a == null || b == null) return false;
        for (String x : a) if (b.contains(x)) return true;
        return false;
    }

    private static Categories categories(Map<String, Set<String>> vocab, Map<String, String> superOf) {
        List<Categories.ObjectCategory> objs = new ArrayList<>();
        Set<String> parts = new TreeSet<>();
        int id = 1;
        for (Map.Entry<String, Set<String>> e : vocab.entrySet()) {
            objs.add(new Categories.ObjectCategory(id++, e.getKey(), superOf.get(e.getKey()), List.copyOf(e.getValue())));
            parts.addAll(e.getValue());
        }
        List<Categories.PartCategory> ps = new ArrayList<>();
        int pid = 1;
        for (String p : parts) ps.add(new Categories.PartCategory(pid++, p));
        return new Categories(objs, ps);
    }

    /** Materialised instance: object mask and merged part masks (area-filtered), alphabetical. */
    private record Inst(Candidate c, Rle mask, Map<String, Rle> parts) {}

    private Inst materialise(Candidate c) {
        Rle m = c.object().mask().get();
        if (m.area() < opt.minObjectPixels()) return null;
        Map<String, List<Rle>> groups = new TreeMap<>();
        for (SourceImage.SourcePart p : c.object().parts()) groups.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p.mask().get());
        Map<String, Rle> parts = new LinkedHashMap<>();
        for (Map.Entry<String, List<Rle>> g : groups.entrySet()) {
            Rle r = Rle.merge(g.getValue(), false);
            if (r.height() != c.image().height() || r.width() != c.image().width())
                throw new IllegalArgumentException(c.image().key() + ": part '" + g.getKey() + "' mask is " + r.height() + "x" + r.width() + ", image is "
                        + c.image().height() + "x" + c.image().width());
            if (r.area() >= opt.minPartPixels()) parts.put(g.getKey(), r);
        }
        return new Inst(c, m, parts);
    }

    private Sample attempt(Task task, String split, Cycler ca, Cycler cb, Map<String, Set<String>> vocab, Categories cats, int[] counter, Path out,
                           String source) {
        for (int tries = 0; tries < 6; tries++) {
            Candidate a = ca.next(), b = cb.next();
            if (a.image() == b.image()) continue;
            Inst x = materialise(a), y = materialise(b);
            if (x == null || y == null) continue;
            Sample s = sample(task, split, List.of(x, y), vocab, cats, counter[0], out, source);
            if (s != null) {
                counter[0]++;
                return s;
            }
        }
        return null;
    }

    private Sample sample(Task task, String split, List<Inst> inst, Map<String, Set<String>> vocab, Categories cats, int index, Path out, String source) {
        List<Segment> segs = new ArrayList<>();
        int n = inst.size();
        switch (task) {
            case COMMON_OBJECT -> {
                for (int k = 0; k < n; k++) segs.add(seg(AnswerGrammar.phrase(inst.get(k).c().category()), k, inst.get(k).mask(), inst.get(k), null, cats));
            }
            case COMMON_PARTS -> {
                Set<String> common = new TreeSet<>(inst.get(0).parts().keySet());
                for (Inst i : inst) common.retainAll(i.parts().keySet());
                for (String p : common) for (int k = 0; k < n; k++) segs.add(seg(AnswerGrammar.phrase(p), k, inst.get(k).parts().get(p), inst.get(k), p, cats));
            }
            case UNIQUE_PARTS -> {
                for (int k = 0; k < n; k++)
                    for (String p : inst.get(k).parts().keySet()) {
                        boolean elsewhere = false;
                        for (int q = 0; q < n; q++) if (q != k && vocab.getOrDefault(inst.get(q).c().category(), Set.of()).contains(p)) elsewhere = true;
                        if (!elsewhere) segs.add(seg(AnswerGrammar.phrase(p), k, inst.get(k).parts().get(p), inst.get(k), p, cats));
                    }
            }
        }
        if (segs.isEmpty()) return null;
        List<ImageRef> images = new ArrayList<>();
        List<ObjectRef> objects = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            SourceImage im = inst.get(k).c().image();
            images.add(new ImageRef(imagePath(im, out), im.width(), im.height()));
            Categories.ObjectCategory oc = cats.object(inst.get(k).c().category());
            objects.add(new ObjectRef(k, oc.id(), oc.name(), oc.supercategory(), List.copyOf(inst.get(k).parts().keySet())));
        }
        String id = String.format("%s-%s-%s-%06d", inst.get(0).c().image().source(), split, task.id(), index);
        List<AnswerGrammar.Grounding> gr = segs.stream().map(s -> new AnswerGrammar.Grounding(s.phrase(), s.image())).toList();
        return new Sample(id, split, task, inst.get(0).c().image().source(), images, AnswerGrammar.prompt(task, n), AnswerGrammar.answer(task, gr), segs, objects)
                .validate();
    }

    private static Segment seg(String phrase, int k, Rle m, Inst i, String part, Categories cats) {
        Categories.ObjectCategory oc = cats.object(i.c().category());
        return new Segment(phrase, k, CocoRle.of(m), oc.id(), oc.name(), part == null ? null : cats.partId(part), part);
    }

    private String imagePath(SourceImage im, Path out) {
        Path file = im.file().toAbsolutePath().normalize();
        if (opt.checkImages() && !Files.isRegularFile(file))
            throw new IllegalArgumentException("image not found: " + file + " (" + im.key() + "; check the source's image root option)");
        Path outAbs = out.toAbsolutePath().normalize();
        if (opt.copyImages()) {
            Path rel = Path.of("images", im.source(), im.split(), file.getFileName().toString());
            Path dst = outAbs.resolve(rel);
            try {
                Files.createDirectories(dst.getParent());
                if (!Files.exists(dst)) Files.copy(file, dst, StandardCopyOption.COPY_ATTRIBUTES);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot copy " + file + " to " + dst + ": " + e.getMessage(), e);
            }
            return rel.toString().replace('\\', '/');
        }
        return outAbs.relativize(file).toString().replace('\\', '/');
    }

    private void writeInfo(Path out, SourceSet src, List<String[]> pairs, List<String> dropped) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("format", DatasetDir.FORMAT);
        info.put("source", src.source());
        info.put("seed", opt.seed());
        info.put("per_pair", opt.perPair());
        info.put("per_category", opt.perCategory());
        info.put("max_instances", opt.maxInstances());
        info.put("min_part_pixels", opt.minPartPixels());
        info.put("min_object_pixels", opt.minObjectPixels());
        info.put("tasks", opt.tasks().stream().map(Task::id).toList());
        info.put("pairs", pairs.stream().map(p -> p[0] + " | " + p[1]).toList());
        info.put("dropped_pairs", dropped);
        try {
            Files.createDirectories(out);
            Jsonl.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("dataset.json").toFile(), info);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + out.resolve("dataset.json") + ": " + e.getMessage(), e);
        }
    }
}
