package org.calico.api;

import java.util.List;

import org.calico.image.RgbImage;

/**
 * One co-segmentation request: two or more images and either one of the paper's {@link Task}s or a free-form
 * instruction (which may reference the images as {@code (IMAGE1)}, {@code (IMAGE2)}, ...). Immutable.
 */
public record Request(List<RgbImage> images, Task task, String instruction) {
    public Request {
        if (images == null || images.size() < 2)
            throw new IllegalArgumentException("co-segmentation needs at least 2 images, got " + (images == null ? 0 : images.size()));
        images = List.copyOf(images);
        if ((task == null) == (instruction == null || instruction.isBlank()))
            throw new IllegalArgumentException("give exactly one of a task or a free-form instruction");
    }

    public static Request of(Task task, List<RgbImage> images) { return new Request(images, task, null); }

    public static Request of(String instruction, List<RgbImage> images) { return new Request(images, null, instruction); }
}
