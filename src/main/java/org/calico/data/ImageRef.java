package org.calico.data;

/** One image of a sample: path relative to the dataset directory (forward slashes), and its size in pixels. */
public record ImageRef(String path, int width, int height) {
    public ImageRef {
        if (path == null || path.isBlank()) throw new IllegalArgumentException("image path is missing");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image " + path + " has size " + width + "x" + height);
    }
}
