package org.calico.api;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The three part-focused co-segmentation tasks of the paper (MixedParts), with their CLI / dataset names, the
 * instruction sentence that ends the prompt and the words that open the answer. The common-object sentence is the
 * paper's example ("Can you segment the common object in these images?", spec §7); the paper's wording for the two part
 * tasks could not be read (spec §0), so they follow the same pattern.
 */
public enum Task {
    /** Segment the object the images have in common. */
    COMMON_OBJECT("common-object", "Can you segment the common object in these images?", "The common object is"),
    /** Segment the parts the objects have in common, matched across images. */
    COMMON_PARTS("common-parts", "Can you segment the common parts of the objects in these images?", "The common parts of the objects are"),
    /** Segment the parts that only one object has. */
    UNIQUE_PARTS("unique-parts", "Can you segment the unique parts of the objects in these images?", "The unique parts of the objects are");

    private final String id, instruction, answerHead;

    Task(String id, String instruction, String answerHead) {
        this.id = id;
        this.instruction = instruction;
        this.answerHead = answerHead;
    }

    /** "common-object" / "common-parts" / "unique-parts" (also the JSON form). */
    @JsonValue public String id() { return id; }

    /** The instruction sentence that follows the image overview in the prompt. */
    public String instruction() { return instruction; }

    /** The words before the first grounded phrase of the answer. */
    public String answerHead() { return answerHead; }

    /** Parses an id ("common-parts"; case and '_' vs '-' are forgiven). */
    @JsonCreator public static Task parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Task k : values()) if (k.id.equals(t)) return k;
        throw new IllegalArgumentException("unknown task '" + s + "' (use common-object, common-parts or unique-parts)");
    }

    @Override public String toString() { return id; }
}
