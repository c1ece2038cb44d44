package org.calico.sam;

import org.calico.image.PilResample;
import org.calico.image.RgbImage;

/**
 * SAM's {@code ResizeLongestSide} ({@code segment_anything/utils/transforms.py}): resizes an image so its longest side
 * is {@code targetLength} (PIL bilinear on uint8, bit-exact through {@link PilResample}) and maps prompt coordinates from
 * the original image to the resized one, per axis, in float64 then rounded to float32 as upstream's
 * {@code torch.as_tensor(coords, dtype=torch.float)}.
 */
public final class ResizeLongestSide {
    public final int targetLength;

    public ResizeLongestSide(int targetLength) {
        if (targetLength <= 0) throw new IllegalArgumentException("target length must be positive, got " + targetLength);
        this.targetLength = targetLength;
    }

    /** {@code get_preprocess_shape}: scale = L / max(h, w), new = int(old * scale + 0.5) -> {newH, newW}. */
    public static int[] preprocessShape(int oldH, int oldW, int longSide) {
        if (oldH <= 0 || oldW <= 0) throw new IllegalArgumentException("image size must be positive, got " + oldH + "x" + oldW);
        double scale = longSide * 1.0 / Math.max(oldH, oldW);
        double newH = oldH * scale, newW = oldW * scale;
        return new int[] {(int) (newH + 0.5), (int) (newW + 0.5)};
    }

    /** {@code apply_image}: the image resized to {@link #preprocessShape} (PIL bilinear). */
    public RgbImage applyImage(RgbImage image) {
        int[] s = preprocessShape(image.height(), image.width(), targetLength);
        return PilResample.resize(image, s[0], s[1], PilResample.Filter.BILINEAR);
    }

    /** {@code apply_coords}: (x, y) pairs in the original {@code origH x origW} image -> float32 pairs in the resized one. */
    public float[] applyCoords(double[] xy, int origH, int origW) {
        if (xy.length % 2 != 0) throw new IllegalArgumentException("coordinates come in (x, y) pairs, got " + xy.length + " values");
        int[] s = preprocessShape(origH, origW, targetLength);
        double sx = (double) s[1] / origW, sy = (double) s[0] / origH;
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * sx);
            out[i + 1] = (float) (xy[i + 1] * sy);
        }
        return out;
    }

    /** {@code apply_boxes}: (x0, y0, x1, y1) boxes -> resized frame (as two corner points). */
    public float[] applyBoxes(double[] boxes, int origH, int origW) {
        if (boxes.length % 4 != 0) throw new IllegalArgumentException("boxes come in (x0, y0, x1, y1) quadruples, got " + boxes.length + " values");
        return applyCoords(boxes, origH, origW);
    }
}
