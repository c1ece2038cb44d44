package org.calico.data;

import java.util.List;

import org.calico.mask.CocoRle;

/**
 * One MixedParts sample (one JSONL line): see {@code docs/mixedparts-format.md}. Immutable; {@link #validate()} checks
 * the invariants the predictor and evaluator rely on.
 *
 * @param id       unique sample id
 * @param split    {@code train}, {@code val} or {@code test}
 * @param task     the task
 * @param source   where it came from ({@code synth}, {@code paco-lvis}, {@code partimagenet}, {@code ade20k-part234},
 *                 {@code mixedparts})
 * @param images   N &ge; 2 images, paths relative to the dataset directory
 * @param prompt   the instruction with {@code <image> (IMAGEk)} placeholders
 * @param answer   the answer in the grammar {@code <p> phrase </p> [SEG] (IMAGEk)}
 * @param segments ground-truth segments in answer order (phrase i of the answer is segment i)
 * @param objects  per image: object category and annotated parts
 */
public record Sample(String id, String split, Task task, String source, List<ImageRef> images, String prompt, String answer,
                     List<Segment> segments, List<ObjectRef> objects) {
    public Sample {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("sample id is missing");
        if (task == null) throw new IllegalArgumentException("sample " + id + " has no task");
        images = images == null ? List.of() : List.copyOf(images);
        segments = segments == null ? List.of() : List.copyOf(segments);
        objects = objects == null ? List.of() : List.copyOf(objects);
    }

    /**
     * Checks: at least 2 images; every segment's image index is in range and its mask has that image's size; the
     * answer parses and its (phrase, image) sequence equals the segments'; the prompt names every image.
     *
     * @throws IllegalArgumentException naming the sample and the problem
     */
    public Sample validate() {
        if (images.size() < 2) throw new IllegalArgumentException("sample " + id + ": needs at least 2 images, has " + images.size());
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s.image() < 0 || s.image() >= images.size())
                throw new IllegalArgumentException("sample " + id + ": segment " + i + " refers to image " + s.image() + ", sample has " + images.size());
            ImageRef im = images.get(s.image());
            CocoRle m = s.mask();
            if (m.height() != im.height() || m.width() != im.width())
                throw new IllegalArgumentException("sample " + id + ": segment " + i + " mask is " + m.height() + "x" + m.width()
                        + " (HxW), image " + im.path() + " is " + im.height() + "x" + im.width());
        }
        List<AnswerGrammar.Grounding> parsed = AnswerGrammar.parse(answer);
        if (parsed.size() != segments.size())
            throw new IllegalArgumentException("sample " + id + ": answer has " + parsed.size() + " grounded phrases, sample has " + segments.size() + " segments");
        for (int i = 0; i < parsed.size(); i++) {
            AnswerGrammar.Grounding g = parsed.get(i);
            Segment s = segments.get(i);
            if (!g.phrase().equals(s.phrase()) || g.image() != s.image())
                throw new IllegalArgumentException("sample " + id + ": answer phrase " + i + " is '" + g.phrase() + "' (IMAGE" + (g.image() + 1)
                        + ") but segment " + i + " is '" + s.phrase() + "' (IMAGE" + (s.image() + 1) + ")");
        }
        for (int k = 0; k < images.size(); k++)
            if (prompt == null || !prompt.contains("<image> (IMAGE" + (k + 1) + ")"))
                throw new IllegalArgumentException("sample " + id + ": prompt does not contain '<image> (IMAGE" + (k + 1) + ")'");
        return this;
    }
}
