package org.calico.api;

import java.util.Locale;

/** The three co-segmentation tasks of the paper (MixedParts), by their CLI / dataset names. */
public enum Task {
    /** Segment the object the images have in common. */
    COMMON_OBJECT("common-object"),
    /** Segment the parts the objects have in common, matched across images. */
    COMMON_PARTS("common-parts"),
    /** Segment the parts that only one object has. */
    UNIQUE_PARTS("unique-parts");

    private final String id;

    Task(String id) { this.id = id; }

    /** "common-object" / "common-parts" / "unique-parts". */
    public String id() { return id; }

    public static Task parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Task k : values()) if (k.id.equals(t)) return k;
        throw new IllegalArgumentException("unknown task '" + s + "' (use common-object, common-parts or unique-parts)");
    }

    @Override public String toString() { return id; }
}
