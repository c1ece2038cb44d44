package org.calico.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the grounded phrases of an answer into cross-image correspondence groups:
 * <ul>
 *   <li>common object: every segment belongs to one group;</li>
 *   <li>common parts: segments with the same normalised phrase (lower case, articles and punctuation dropped) form one
 *       group, one member per image in answer order;</li>
 *   <li>unique parts: each segment is its own group;</li>
 *   <li>free-form instructions: grouped by normalised phrase like common parts ({@link Group.Kind#PHRASE}).</li>
 * </ul>
 */
public final class Grouping {
    private Grouping() {}

    /** A phrase with its image, before masks exist. */
    public record Phrase(String label, int imageIndex) {}

    /** Group index for each phrase (parallel to {@code phrases}) and the groups themselves. */
    public record Result(int[] groupOf, List<Group> groups) {}

    public static Result group(Task task, List<Phrase> phrases) {
        int[] groupOf = new int[phrases.size()];
        List<Group> groups = new ArrayList<>();
        if (task == Task.COMMON_OBJECT) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < phrases.size(); i++) all.add(i);
            if (!all.isEmpty()) groups.add(new Group(Group.Kind.COMMON_OBJECT, phrases.get(0).label(), all));
            return new Result(groupOf, groups);
        }
        if (task == Task.UNIQUE_PARTS) {
            for (int i = 0; i < phrases.size(); i++) {
                groupOf[i] = groups.size();
                groups.add(new Group(Group.Kind.UNIQUE_PART, phrases.get(i).label(), List.of(i)));
            }
            return new Result(groupOf, groups);
        }
        Group.Kind kind = task == Task.COMMON_PARTS ? Group.Kind.COMMON_PART : Group.Kind.PHRASE;
        Map<String, List<Integer>> byKey = new LinkedHashMap<>();
        Map<String, String> label = new LinkedHashMap<>();
        for (int i = 0; i < phrases.size(); i++) {
            String k = normalise(phrases.get(i).label());
            byKey.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
            label.putIfAbsent(k, phrases.get(i).label());
        }
        for (var e : byKey.entrySet()) {
            for (int i : e.getValue()) groupOf[i] = groups.size();
            groups.add(new Group(kind, label.get(e.getKey()), e.getValue()));
        }
        return new Result(groupOf, groups);
    }

    /** Lower case, punctuation removed, leading articles ("the", "a", "an") dropped, whitespace collapsed. */
    public static String normalise(String phrase) {
        String s = phrase.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}' ]+", " ").trim().replaceAll("\\s+", " ");
        s = s.replaceFirst("^(the|a|an) ", "");
        return s;
    }
}
