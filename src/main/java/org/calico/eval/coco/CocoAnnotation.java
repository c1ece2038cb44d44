package org.calico.eval.coco;

import org.calico.mask.Rle;

/**
 * One ground-truth or detection annotation as COCOeval (segm) sees it after {@code _prepare}: its mask already
 * converted to RLE ({@code annToRLE}), {@code area} as given in the GT file (or computed by {@code loadRes} for
 * detections), {@code iscrowd}, and the detection {@code score} (NaN for ground truth).
 */
public record CocoAnnotation(long id, long imageId, long categoryId, Rle mask, double area, boolean iscrowd, double score) {
    public CocoAnnotation {
        if (mask == null) throw new IllegalArgumentException("annotation " + id + " has no mask");
    }
}
