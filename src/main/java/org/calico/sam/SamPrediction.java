package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.calico.mask.Rle;

/**
 * Immutable result of one prompt: k masks at the original image size (binary, logits &gt; the model's mask threshold
 * 0.0), their predicted IoUs, the low-resolution logits (4h x 4w, reusable as a mask prompt) and, when requested, the
 * full-size logits. Arrays are row-major ({@code [y * width + x]}); accessors return copies.
 */
public final class SamPrediction {
    private final int height, width, lowResH, lowResW;
    private final float[] iou;
    private final boolean[][] masks;
    private final float[][] logits;
    private final float[][] lowRes;

    SamPrediction(int height, int width, float[] iou, boolean[][] masks, float[][] logits, float[][] lowRes, int lowResH, int lowResW) {
        this.height = height;
        this.width = width;
        this.iou = iou;
        this.masks = masks;
        this.logits = logits;
        this.lowRes = lowRes;
        this.lowResH = lowResH;
        this.lowResW = lowResW;
    }

    /** Number of masks k (1, or the number of multimask outputs, 3). */
    public int count() { return iou.length; }

    public int height() { return height; }

    public int width() { return width; }

    public float[] iouPredictions() { return iou.clone(); }

    public float iouPrediction(int i) { return iou[i]; }

    /** Index of the mask with the highest predicted IoU. */
    public int best() {
        int b = 0;
        for (int i = 1; i < iou.length; i++) if (iou[i] > iou[b]) b = i;
        return b;
    }

    /** Binary mask i, {@code [height * width]}. */
    public boolean[] mask(int i) { return masks[i].clone(); }

    /** COCO RLE of mask i. */
    public Rle rle(int i) { return Rle.encode(masks[i], height, width); }

    public long area(int i) {
        long n = 0;
        for (boolean b : masks[i]) if (b) n++;
        return n;
    }

    public boolean hasLogits() { return logits != null; }

    /** Full-size logits of mask i (only when the prediction was asked to return logits). */
    public float[] logits(int i) {
        if (logits == null) throw new IllegalStateException("this prediction kept no logits: predict with returnLogits = true");
        return logits[i].clone();
    }

    public List<float[]> logitsList() {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < count(); i++) out.add(logits(i));
        return out;
    }

    public int lowResHeight() { return lowResH; }

    public int lowResWidth() { return lowResW; }

    /** Low-resolution logits of mask i, {@code [lowResHeight * lowResWidth]}. */
    public float[] lowResLogits(int i) { return lowRes[i].clone(); }

    public List<float[]> lowResLogitsList() {
        List<float[]> out = new ArrayList<>();
        for (float[] l : lowRes) out.add(l.clone());
        return out;
    }

    /** A prediction holding only mask i (e.g. the best of a multimask output). */
    public SamPrediction only(int i) {
        return new SamPrediction(height, width, new float[] {iou[i]}, new boolean[][] {masks[i]}, logits == null ? null : new float[][] {logits[i]},
                new float[][] {lowRes[i]}, lowResH, lowResW);
    }
}
