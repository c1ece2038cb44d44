package org.calico.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The result of one co-segmentation request: the instruction that was asked, the model's grounded answer text, every
 * segment in answer order, the correspondence groups, and problems found while parsing the answer (malformed
 * grammar, image ids out of range, ...; the answer is still returned). Immutable.
 */
public record CoSegmentation(String instruction, String answer, int imageCount, List<Segment> segments, List<Group> groups,
                             List<String> problems) {
    public CoSegmentation {
        segments = List.copyOf(segments);
        groups = List.copyOf(groups);
        problems = List.copyOf(problems);
    }

    /** Segments of image {@code i} (0-based), in answer order. */
    public List<Segment> segmentsOf(int image) {
        if (image < 0 || image >= imageCount) throw new IndexOutOfBoundsException("image " + image + " of " + imageCount);
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments) if (s.imageIndex() == image) out.add(s);
        return out;
    }

    /** Members of group {@code g} as segments. */
    public List<Segment> membersOf(Group g) {
        List<Segment> out = new ArrayList<>();
        for (int i : g.members()) out.add(segments.get(i));
        return out;
    }
}
