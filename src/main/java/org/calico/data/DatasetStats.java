package org.calico.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Dataset statistics in the spirit of the paper's Table 4: per split and task (and "all"), the numbers of samples,
 * distinct images, object / part / object-part categories, category pairs and segments; plus the object-part
 * frequencies per split (segment counts per {@code object:part}), which the evaluator's low-tail analysis uses.
 */
public record DatasetStats(List<Row> rows, @JsonProperty("object_part_counts") Map<String, Map<String, Integer>> objectPartCounts) {
    public record Row(String split, String task, int samples, int images,
                      @JsonProperty("object_categories") int objectCategories, @JsonProperty("part_categories") int partCategories,
                      @JsonProperty("object_part_categories") int objectPartCategories, @JsonProperty("category_pairs") int categoryPairs,
                      int segments, @JsonProperty("segments_per_sample") double segmentsPerSample) {}

    public static DatasetStats of(List<Sample> samples) {
        Map<String, List<Sample>> bySplit = new TreeMap<>();
        for (Sample s : samples) bySplit.computeIfAbsent(s.split() == null ? "?" : s.split(), k -> new ArrayList<>()).add(s);
        List<Row> rows = new ArrayList<>();
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (Map.Entry<String, List<Sample>> e : bySplit.entrySet()) {
            for (Task t : Task.values()) {
                List<Sample> sub = e.getValue().stream().filter(s -> s.task() == t).toList();
                if (!sub.isEmpty()) rows.add(row(e.getKey(), t.id(), sub));
            }
            rows.add(row(e.getKey(), "all", e.getValue()));
            Map<String, Integer> c = new TreeMap<>();
            for (Sample s : e.getValue()) for (Segment g : s.segments()) if (g.isPart()) c.merge(g.categoryKey(), 1, Integer::sum);
            counts.put(e.getKey(), c);
        }
        return new DatasetStats(rows, counts);
    }

    private static Row row(String split, String task, List<Sample> ss) {
        Set<String> images = new HashSet<>(), objects = new TreeSet<>(), parts = new TreeSet<>(), objParts = new TreeSet<>(), pairs = new HashSet<>();
        int segs = 0;
        for (Sample s : ss) {
            for (ImageRef im : s.images()) images.add(im.path());
            TreeSet<String> names = new TreeSet<>();
            for (ObjectRef o : s.objects()) {
                objects.add(o.objectName());
                names.add(o.objectName());
            }
            pairs.add(String.join("|", names));
            for (Segment g : s.segments()) {
                segs++;
                if (g.isPart()) {
                    parts.add(g.partName());
                    objParts.add(g.categoryKey());
                }
            }
        }
        return new Row(split, task, ss.size(), images.size(), objects.size(), parts.size(), objParts.size(), pairs.size(), segs,
                ss.isEmpty() ? 0 : (double) segs / ss.size());
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| split | task | samples | images | object cats | part cats | object-part cats | category pairs | segments | segments/sample |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows)
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %.2f |%n", r.split(), r.task(), r.samples(), r.images(),
                    r.objectCategories(), r.partCategories(), r.objectPartCategories(), r.categoryPairs(), r.segments(), r.segmentsPerSample()));
        return sb.toString();
    }

    /** Writes {@code stats.json} and {@code stats.md} into {@code dir}. */
    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Jsonl.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("stats.json").toFile(), this);
            Files.writeString(dir.resolve("stats.md"), "# Dataset statistics\n\n" + markdown());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write statistics into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Statistics over every {@code <split>.jsonl} in a dataset directory. */
    public static DatasetStats ofDirectory(Path dir) {
        List<Sample> all = new ArrayList<>();
        for (String split : List.of("train", "val", "test")) {
            Path f = dir.resolve(split + ".jsonl");
            if (Files.isRegularFile(f)) all.addAll(Jsonl.readSamples(f));
        }
        return of(all);
    }
}
