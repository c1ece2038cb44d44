package org.calico.data.source;

import java.util.ArrayList;
import java.util.List;

/** The images a reader produced plus what it skipped and why (reported by {@code ./calico build-dataset}). */
public record SourceSet(String source, List<SourceImage> images, List<String> warnings) {
    public SourceSet {
        images = List.copyOf(images);
        warnings = List.copyOf(warnings);
    }

    public static SourceSet concat(List<SourceSet> sets) {
        List<SourceImage> im = new ArrayList<>();
        List<String> w = new ArrayList<>();
        for (SourceSet s : sets) {
            im.addAll(s.images());
            for (String x : s.warnings()) w.add(s.source() + ": " + x);
        }
        return new SourceSet("all", im, w);
    }
}
