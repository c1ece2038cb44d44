package org.calico.api;

import org.calico.mask.Rle;

/**
 * One grounded phrase of an answer: its label (the phrase between {@code <p>} and {@code </p>}), the image it belongs to
 * (0-based; {@code (IMAGE1)} is 0), the binary mask at that image's original size as COCO RLE, the mask score
 * (SAM's predicted IoU, or the mean foreground probability where no IoU head is trained), and the index of its
 * correspondence group in {@link CoSegmentation#groups()}. Immutable.
 */
public record Segment(String label, int imageIndex, Rle mask, double score, int group) {
    public Segment {
        if (label == null) throw new IllegalArgumentException("label is null");
        if (imageIndex < 0) throw new IllegalArgumentException("imageIndex must be >= 0, got " + imageIndex);
        if (mask == null) throw new IllegalArgumentException("mask is null");
    }

    /** Foreground pixel count. */
    public long area() { return mask.area(); }
}
