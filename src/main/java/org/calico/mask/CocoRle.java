package org.calico.mask;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A compressed COCO RLE as it appears in JSON: {@code {"size": [h, w], "counts": "<string>"}} (pycocotools'
 * {@code encode} output with {@code counts} decoded as ASCII). Immutable; Jackson reads and writes it as is.
 */
public record CocoRle(List<Integer> size, String counts) {
    public CocoRle {
        if (size == null || size.size() != 2 || size.get(0) == null || size.get(1) == null)
            throw new IllegalArgumentException("RLE 'size' must be [height, width], got " + size);
        if (size.get(0) < 0 || size.get(1) < 0) throw new IllegalArgumentException("RLE 'size' must be non-negative, got " + size);
        if (counts == null) throw new IllegalArgumentException("RLE 'counts' is missing");
        size = List.copyOf(size);
    }

    public static CocoRle of(Rle rle) {
        return new CocoRle(List.of(rle.height(), rle.width()), rle.toCompressedString());
    }

    @JsonIgnore public int height() { return size.get(0); }

    @JsonIgnore public int width() { return size.get(1); }

    /** Decodes the string ({@link Rle#fromCompressedString}); malformed input is an IllegalArgumentException. */
    public Rle toRle() {
        return Rle.fromCompressedString(counts, height(), width());
    }
}
