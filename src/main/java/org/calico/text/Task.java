package org.calico.text;

/**
 * CALICO's three part-focused co-segmentation tasks and their instruction wording. The common-object sentence is the
 * paper's example ("Can you segment the common object in these images?", CALICO §3 / spec §7); the paper's exact
 * wording for the two part tasks could not be read (spec §0: [U]), so they follow the same pattern.
 */
public enum Task {
    COMMON_OBJECT("Can you segment the common object in these images?"),
    COMMON_PARTS("Can you segment the common parts of the objects in these images?"),
    UNIQUE_PARTS("Can you segment the unique parts of the objects in these images?");

    private final String instruction;

    Task(String instruction) { this.instruction = instruction; }

    /** The instruction sentence that follows the image overview. */
    public String instruction() { return instruction; }
}
