package org.calico.sam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One immutable SAM prompt in original-image pixel coordinates: any number of points (x, y, label with 1 = foreground,
 * 0 = background, -1 = ignore), at most one box (x0, y0, x1, y1), an optional low-resolution mask-logit input (e.g. a
 * previous prediction's {@link SamPrediction#lowResLogits}, 4h x 4w = 256 x 256 for the released models), and any
 * number of text embeddings (LISA/GLaMM/CALICO [SEG] prompts, each of the prompt dim, 256). Build with {@link #builder()}.
 */
public final class SamPrompt {
    private final double[] points;   // x0, y0, x1, y1, ...
    private final int[] labels;
    private final double[] box;      // null or 4 values
    private final float[] maskInput; // null or maskH * maskW
    private final int maskH, maskW;
    private final List<float[]> text;

    private SamPrompt(Builder b) {
        this.points = b.points.stream().mapToDouble(Double::doubleValue).toArray();
        this.labels = b.labels.stream().mapToInt(Integer::intValue).toArray();
        this.box = b.box == null ? null : b.box.clone();
        this.maskInput = b.mask == null ? null : b.mask.clone();
        this.maskH = b.maskH;
        this.maskW = b.maskW;
        List<float[]> t = new ArrayList<>();
        for (float[] e : b.text) t.add(e.clone());
        this.text = List.copyOf(t);
    }

    public static Builder builder() { return new Builder(); }

    public int numPoints() { return labels.length; }

    /** (x, y) pairs, a copy. */
    public double[] points() { return points.clone(); }

    public int[] labels() { return labels.clone(); }

    public boolean hasBox() { return box != null; }

    /** (x0, y0, x1, y1) or null. */
    public double[] box() { return box == null ? null : box.clone(); }

    public boolean hasMaskInput() { return maskInput != null; }

    public float[] maskInput() { return maskInput == null ? null : maskInput.clone(); }

    public int maskInputHeight() { return maskH; }

    public int maskInputWidth() { return maskW; }

    public int numTextEmbeddings() { return text.size(); }

    public float[] textEmbedding(int i) { return text.get(i).clone(); }

    /** Prompts with the same structure decode together in one batch. */
    String structure() {
        return numPoints() + "p" + (hasBox() ? "b" : "") + (hasMaskInput() ? "m" + maskH + "x" + maskW : "") + "t" + numTextEmbeddings()
                + (text.isEmpty() ? "" : "x" + text.get(0).length);
    }

    /** One foreground point at (x, y). */
    public static SamPrompt point(double x, double y) { return builder().point(x, y, 1).build(); }

    /** One box. */
    public static SamPrompt box(double x0, double y0, double x1, double y1) { return builder().box(x0, y0, x1, y1).build(); }

    /** One text ([SEG]) embedding. */
    public static SamPrompt text(float[] embedding) { return builder().textEmbedding(embedding).build(); }

    @Override public String toString() {
        return "SamPrompt[points=" + Arrays.toString(points) + ", labels=" + Arrays.toString(labels) + ", box=" + Arrays.toString(box)
                + (maskInput != null ? ", mask " + maskH + "x" + maskW : "") + (text.isEmpty() ? "" : ", text x" + text.size()) + "]";
    }

    public static final class Builder {
        private final List<Double> points = new ArrayList<>();
        private final List<Integer> labels = new ArrayList<>();
        private double[] box;
        private float[] mask;
        private int maskH, maskW;
        private final List<float[]> text = new ArrayList<>();

        private Builder() {}

        /** A point at pixel (x, y) of the original image; label 1 foreground, 0 background, -1 ignored. */
        public Builder point(double x, double y, int label) {
            if (!Double.isFinite(x) || !Double.isFinite(y)) throw new IllegalArgumentException("point (" + x + ", " + y + ") is not finite");
            if (label < -1 || label > 1) throw new IllegalArgumentException("point label must be 1 (foreground), 0 (background) or -1 (ignore), got " + label);
            points.add(x);
            points.add(y);
            labels.add(label);
            return this;
        }

        public Builder point(double x, double y) { return point(x, y, 1); }

        /** The box (x0, y0, x1, y1) in original-image pixels, x0 <= x1, y0 <= y1. */
        public Builder box(double x0, double y0, double x1, double y1) {
            double[] b = {x0, y0, x1, y1};
            for (double v : b) if (!Double.isFinite(v)) throw new IllegalArgumentException("box " + Arrays.toString(b) + " is not finite");
            if (x1 < x0 || y1 < y0) throw new IllegalArgumentException("box " + Arrays.toString(b) + " must have x0 <= x1 and y0 <= y1");
            if (box != null) throw new IllegalArgumentException("a SAM prompt takes at most one box");
            box = b;
            return this;
        }

        /** Low-resolution mask logits {@code [h * w]} row-major (the model needs 4x its embedding grid, 256 x 256). */
        public Builder maskInput(float[] logits, int h, int w) {
            if (h <= 0 || w <= 0 || logits.length != (long) h * w)
                throw new IllegalArgumentException("mask input has " + logits.length + " values, " + h + "x" + w + " needs " + (long) h * w);
            mask = logits.clone();
            maskH = h;
            maskW = w;
            return this;
        }

        /** A projected text / [SEG] embedding (prompt dim, 256), appended to the sparse tokens. */
        public Builder textEmbedding(float[] embedding) {
            if (embedding.length == 0) throw new IllegalArgumentException("empty text embedding");
            if (!text.isEmpty() && text.get(0).length != embedding.length)
                throw new IllegalArgumentException("text embeddings differ in length (" + text.get(0).length + " vs " + embedding.length + ")");
            text.add(embedding.clone());
            return this;
        }

        public SamPrompt build() { return new SamPrompt(this); }
    }
}
