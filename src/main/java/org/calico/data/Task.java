package org.calico.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The three MixedParts tasks. JSON names: {@code common-object}, {@code common-parts}, {@code unique-parts}. */
public enum Task {
    COMMON_OBJECT("common-object", "Can you segment the common object in these images?", "The common object is"),
    COMMON_PARTS("common-parts", "Can you segment the common parts of the objects in these images?", "The common parts of the objects are"),
    UNIQUE_PARTS("unique-parts", "Can you segment the unique parts of the objects in these images?", "The unique parts of the objects are");

    private final String id, question, answerHead;

    Task(String id, String question, String answerHead) {
        this.id = id;
        this.question = question;
        this.answerHead = answerHead;
    }

    @JsonValue public String id() { return id; }

    /** The question that ends the prompt. */
    public String question() { return question; }

    /** The words before the first grounded phrase of the answer. */
    public String answerHead() { return answerHead; }

    @JsonCreator public static Task of(String id) {
        for (Task t : values()) if (t.id.equals(id)) return t;
        throw new IllegalArgumentException("unknown task '" + id + "' (expected common-object, common-parts or unique-parts)");
    }
}
