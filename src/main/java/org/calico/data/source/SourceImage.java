package org.calico.data.source;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import org.calico.mask.Rle;

/**
 * One annotated image of a part-segmentation source, normalised across PACO-LVIS, PartImageNet, ADE20K-Part-234 and
 * the MixedParts COCO files: its file, size, split and object instances with their parts. Masks are suppliers so that
 * expensive ones (ADE20K part PNGs) are only decoded for images a sample uses.
 */
public record SourceImage(String source, String split, String key, Path file, int width, int height, List<SourceObject> objects) {
    public SourceImage {
        objects = List.copyOf(objects);
    }

    /** An object instance: cleaned category name, supercategory (family; may be null), mask and parts. */
    public record SourceObject(String category, String supercategory, Supplier<Rle> mask, List<SourcePart> parts) {
        public SourceObject {
            parts = List.copyOf(parts);
        }
    }

    /** A part region of an object instance: cleaned part name and mask (several regions may share a name). */
    public record SourcePart(String name, Supplier<Rle> mask) {}
}
