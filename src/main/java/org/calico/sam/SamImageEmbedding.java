package org.calico.sam;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.image.RgbImage;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * One image's cached SAM state (upstream {@code SamPredictor.set_image}): the image embedding [1, C, h, w], the dense
 * positional encoding, the original and resized sizes. Decoding prompts against it is cheap and thread-safe: any number
 * of threads may call {@link #predict}/{@link #predictAll} concurrently (each call has its own PointerScope and
 * NoGradGuard and only reads the cached tensors). {@link #close()} waits for running decodes, then frees the tensors;
 * later calls fail with {@link IllegalStateException}.
 */
public final class SamImageEmbedding implements AutoCloseable {
    private final SamModel model;
    private final Tensor features, densePe;
    private final int origH, origW, inputH, inputW;
    private final ResizeLongestSide transform;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private SamImageEmbedding(SamModel model, Tensor features, Tensor densePe, int origH, int origW, int inputH, int inputW) {
        this.model = model;
        this.features = features;
        this.densePe = densePe;
        this.origH = origH;
        this.origW = origW;
        this.inputH = inputH;
        this.inputW = inputW;
        this.transform = new ResizeLongestSide(model.config.imgSize());
    }

    /** Resize (PIL bilinear), normalise, pad and encode {@code image} (upstream {@code set_image}, RGB). */
    static SamImageEmbedding encode(SamModel model, RgbImage image) {
        ResizeLongestSide t = new ResizeLongestSide(model.config.imgSize());
        RgbImage resized = t.applyImage(image);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor f = model.encodeImage(model.preprocess(resized));
            Tensor pe = model.promptEncoder.densePe();
            return new SamImageEmbedding(model, T.handle(f), T.handle(pe), image.height(), image.width(), resized.height(), resized.width());
        }
    }

    public int originalHeight() { return origH; }

    public int originalWidth() { return origW; }

    /** Height of the resized image inside the padded model input. */
    public int inputHeight() { return inputH; }

    public int inputWidth() { return inputW; }

    /** [1, C, h, w] */
    public long[] featureShape() { return T.shape(features); }

    /** The image embedding as a row-major copy of [1, C, h, w] (upstream {@code predictor.features}). */
    public float[] features() {
        return read(() -> {
            try (PointerScope s = new PointerScope()) {
                return T.toFloats(features);
            }
        });
    }

    /** {@link #predictAll} for one prompt. */
    public SamPrediction predict(SamPrompt prompt, boolean multimask, boolean returnLogits) {
        return predictAll(List.of(prompt), multimask, returnLogits).get(0);
    }

    /**
     * One mask per prompt, following upstream's advice: an ambiguous single-point prompt is decoded with the multimask
     * tokens and the mask with the highest predicted IoU is kept; every other prompt uses the single-mask token.
     */
    public SamPrediction predictBest(SamPrompt prompt, boolean returnLogits) {
        boolean ambiguous = prompt.numPoints() == 1 && !prompt.hasBox() && !prompt.hasMaskInput() && prompt.numTextEmbeddings() == 0;
        if (!ambiguous) return predict(prompt, false, returnLogits);
        SamPrediction p = predict(prompt, true, returnLogits);
        return p.only(p.best());
    }

    /**
     * Decodes many prompts against this image. Prompts with the same structure (number of points, box, mask size, number
     * of text embeddings) run as one batch through the prompt encoder and mask decoder (upstream {@code predict_torch}
     * with batch B). Results come back in input order.
     *
     * @param multimask    false: one mask per prompt (token 0); true: the 3 multimask outputs
     * @param returnLogits keep the full-size logits (memory: k x H x W floats per prompt)
     */
    public List<SamPrediction> predictAll(List<SamPrompt> prompts, boolean multimask, boolean returnLogits) {
        for (SamPrompt p : prompts) validate(p);
        return read(() -> {
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            for (int i = 0; i < prompts.size(); i++) groups.computeIfAbsent(prompts.get(i).structure(), k -> new ArrayList<>()).add(i);
            SamPrediction[] out = new SamPrediction[prompts.size()];
            for (List<Integer> idx : groups.values()) {
                List<SamPrompt> group = new ArrayList<>();
                for (int i : idx) group.add(prompts.get(i));
                List<SamPrediction> r = decode(group, multimask, returnLogits);
                for (int j = 0; j < idx.size(); j++) out[idx.get(j)] = r.get(j);
            }
            return List.of(out);
        });
    }

    private List<SamPrediction> decode(List<SamPrompt> group, boolean multimask, boolean returnLogits) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            SamPrompt first = group.get(0);
            int b = group.size(), n = first.numPoints();
            Tensor coords = null, labels = null, boxes = null, masks = null, text = null;
            if (n > 0) {
                float[] c = new float[b * n * 2];
                long[] l = new long[b * n];
                for (int i = 0; i < b; i++) {
                    float[] t = transform.applyCoords(group.get(i).points(), origH, origW);
                    System.arraycopy(t, 0, c, i * n * 2, n * 2);
                    int[] li = group.get(i).labels();
                    for (int j = 0; j < n; j++) l[i * n + j] = li[j];
                }
                coords = onDevice(T.fromFloats(c, b, n, 2));
                labels = onDevice(T.fromLongs(l, b, n));
            }
            if (first.hasBox()) {
                float[] bx = new float[b * 4];
                for (int i = 0; i < b; i++) System.arraycopy(transform.applyBoxes(group.get(i).box(), origH, origW), 0, bx, i * 4, 4);
                boxes = onDevice(T.fromFloats(bx, b, 4));
            }
            if (first.hasMaskInput()) {
                int mh = first.maskInputHeight(), mw = first.maskInputWidth();
                float[] m = new float[b * mh * mw];
                for (int i = 0; i < b; i++) System.arraycopy(group.get(i).maskInput(), 0, m, i * mh * mw, mh * mw);
                masks = onDevice(T.fromFloats(m, b, 1, mh, mw));
            }
            if (first.numTextEmbeddings() > 0) {
                int t = first.numTextEmbeddings(), c = first.textEmbedding(0).length;
                float[] e = new float[b * t * c];
                for (int i = 0; i < b; i++)
                    for (int j = 0; j < t; j++) System.arraycopy(group.get(i).textEmbedding(j), 0, e, (i * t + j) * c, c);
                text = onDevice(T.fromFloats(e, b, t, c));
            }
            PromptEncoder.Embeddings emb = model.promptEncoder.forward(coords, labels, boxes, masks, text);
            MaskDecoder.Output o = model.maskDecoder.forward(features, null, densePe, emb.sparse(), emb.dense(), multimask);
            int k = (int) o.masks().size(1), lh = (int) o.masks().size(2), lw = (int) o.masks().size(3);
            int hw = Math.multiplyExact(origH, origW);
            float[] low = T.toFloats(o.masks());
            float[] iou = T.toFloats(o.iouPredictions());
            List<SamPrediction> out = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                // one prompt at a time at full resolution: peak memory k x H x W floats, not B x k x H x W
                try (PointerScope ps = new PointerScope()) {
                    Tensor up = model.postprocessMasks(o.masks().narrow(0, i, 1), inputH, inputW, origH, origW);   // [1, k, H, W]
                    byte[] bin = T.toBytes(up.gt(T.s(model.config.maskThreshold())));
                    float[] logits = returnLogits ? T.toFloats(up) : null;
                    boolean[][] mk = new boolean[k][];
                    float[][] lg = returnLogits ? new float[k][] : null;
                    float[][] lr = new float[k][];
                    for (int j = 0; j < k; j++) {
                        boolean[] m = new boolean[hw];
                        for (int p = 0; p < hw; p++) m[p] = bin[j * hw + p] != 0;
                        mk[j] = m;
                        if (lg != null) lg[j] = java.util.Arrays.copyOfRange(logits, j * hw, (j + 1) * hw);
                        lr[j] = java.util.Arrays.copyOfRange(low, (i * k + j) * lh * lw, (i * k + j + 1) * lh * lw);
                    }
                    out.add(new SamPrediction(origH, origW, java.util.Arrays.copyOfRange(iou, i * k, (i + 1) * k), mk, lg, lr, lh, lw));
                }
            }
            return out;
        }
    }

    private Tensor onDevice(Tensor t) {
        return model.device().cuda() ? t.to(model.device().torch(), t.scalar_type()) : t;
    }

    private void validate(SamPrompt p) {
        double[] pts = p.points();
        for (int i = 0; i < pts.length; i += 2) {
            double x = pts[i], y = pts[i + 1];
            if (x < 0 || y < 0 || x >= origW || y >= origH)
                throw new IllegalArgumentException("point (" + x + ", " + y + ") is outside the " + origW + "x" + origH
                        + " (width x height) image: x must be in [0, " + origW + "), y in [0, " + origH + ")");
        }
        if (p.hasBox()) {
            double[] b = p.box();
            if (b[0] < 0 || b[1] < 0 || b[2] > origW || b[3] > origH)
                throw new IllegalArgumentException("box " + java.util.Arrays.toString(b) + " is outside the " + origW + "x" + origH
                        + " (width x height) image");
        }
        if (p.hasMaskInput()) {
            int mh = model.config.promptEncoder().maskInputH(), mw = model.config.promptEncoder().maskInputW();
            if (p.maskInputHeight() != mh || p.maskInputWidth() != mw)
                throw new IllegalArgumentException("mask input is " + p.maskInputHeight() + "x" + p.maskInputWidth() + ", this model takes "
                        + mh + "x" + mw + " low-resolution logits");
        }
        if (p.numTextEmbeddings() > 0 && p.textEmbedding(0).length != model.config.embedDim())
            throw new IllegalArgumentException("text embedding has " + p.textEmbedding(0).length + " values, the prompt dim is " + model.config.embedDim());
    }

    private <R> R read(java.util.function.Supplier<R> body) {
        lock.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("this SAM image embedding was closed");
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            T.release(features);
            T.release(densePe);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** dtype of the cached embedding (the model's). */
    public DType dtype() { return T.dtype(features); }

}
