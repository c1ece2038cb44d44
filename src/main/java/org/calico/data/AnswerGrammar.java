package org.calico.data;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's answer grammar {@code <p> phrase </p> [SEG] (IMAGEk)} and the prompt template.
 *
 * <pre>
 * prompt : The &lt;image&gt; (IMAGE1) and &lt;image&gt; (IMAGE2) provide an overview of the pictures. Can you segment the common object in these images?
 * answer : The common object is &lt;p&gt; the chair &lt;/p&gt; [SEG] (IMAGE1) and &lt;p&gt; the chair &lt;/p&gt; [SEG] (IMAGE2).
 * </pre>
 * Lists join as "A", "A and B", "A, B and C". Images are numbered from 1 in text and from 0 in {@link Grounding}.
 */
public final class AnswerGrammar {
    private AnswerGrammar() {}

    /** One grounded phrase: text between {@code <p>} and {@code </p>}, and the 0-based image index (-1 if absent). */
    public record Grounding(String phrase, int image) {}

    private static final Pattern GROUNDED = Pattern.compile("<p>\\s*(.*?)\\s*</p>\\s*\\[SEG\\](?:\\s*\\(IMAGE(\\d+)\\))?");

    /** "A", "A and B", "A, B and C". */
    public static String join(List<String> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("nothing to join");
        if (items.size() == 1) return items.get(0);
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    /** The instruction for {@code n} images. */
    public static String prompt(Task task, int n) {
        if (n < 2) throw new IllegalArgumentException("a MixedParts prompt needs at least 2 images, got " + n);
        List<String> ims = new ArrayList<>();
        for (int k = 1; k <= n; k++) ims.add("<image> (IMAGE" + k + ")");
        return "The " + join(ims) + " provide an overview of the pictures. " + task.question();
    }

    /** The answer for the grounded phrases in order. */
    public static String answer(Task task, List<Grounding> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("an answer needs at least one grounded phrase (" + task.id() + ")");
        List<String> parts = new ArrayList<>();
        for (Grounding g : items) {
            if (g.phrase().contains("<") || g.phrase().contains(">")) throw new IllegalArgumentException("phrase must not contain '<' or '>': " + g.phrase());
            if (g.image() < 0) throw new IllegalArgumentException("grounded phrase '" + g.phrase() + "' has no image");
            parts.add("<p> " + g.phrase() + " </p> [SEG] (IMAGE" + (g.image() + 1) + ")");
        }
        return task.answerHead() + " " + join(parts) + ".";
    }

    /** All grounded phrases of an answer (a model's output too), in order; {@code [SEG]} without {@code (IMAGEk)} gives image -1. */
    public static List<Grounding> parse(String answer) {
        List<Grounding> out = new ArrayList<>();
        if (answer == null) return out;
        Matcher m = GROUNDED.matcher(answer);
        while (m.find()) {
            int image = -1;
            if (m.group(2) != null) {
                try {
                    image = Integer.parseInt(m.group(2)) - 1;
                } catch (NumberFormatException e) {
                    image = -1;
                }
            }
            out.add(new Grounding(m.group(1), image));
        }
        return out;
    }

    /** Natural phrase for a dataset name: "the " + name with underscores as spaces ("trash_can" -> "the trash can"). */
    public static String phrase(String name) {
        return "the " + name.replace('_', ' ').trim();
    }
}
