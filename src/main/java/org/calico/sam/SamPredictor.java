package org.calico.sam;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.calico.image.RgbImage;

/**
 * Upstream {@code SamPredictor} for the JVM: {@link #setImage} computes and caches the image embedding once, then
 * {@link #predict} decodes any number of prompts cheaply. For concurrent decoding hold the embedding yourself:
 * {@code try (SamImageEmbedding e = predictor.encode(image)) { ... e.predict(...) from many threads ... }}; a
 * {@link #setImage} while other threads still decode the previous image makes their later calls fail (never silently
 * decode another image). The predictor does not own the model.
 */
public final class SamPredictor implements AutoCloseable {
    private final SamModel model;
    private final AtomicReference<SamImageEmbedding> current = new AtomicReference<>();

    public SamPredictor(SamModel model) {
        if (!model.isReady()) throw new IllegalArgumentException("SAM model has no weights: load(...) or initRandom(...) it first");
        this.model = model;
    }

    public SamModel model() { return model; }

    /** A new embedding of {@code image} that the caller owns (and closes); thread-safe to decode. */
    public SamImageEmbedding encode(RgbImage image) { return SamImageEmbedding.encode(model, image); }

    /** Encodes {@code image} and makes it the current image (the previous one is closed). */
    public void setImage(RgbImage image) {
        SamImageEmbedding e = encode(image);
        SamImageEmbedding old = current.getAndSet(e);
        if (old != null) old.close();
    }

    /** The current image's embedding. */
    public SamImageEmbedding current() {
        SamImageEmbedding e = current.get();
        if (e == null) throw new IllegalStateException("an image must be set with setImage(...) before mask prediction");
        return e;
    }

    public boolean isImageSet() { return current.get() != null; }

    /** Upstream {@code predict(points, labels, box, mask_input, multimask_output, return_logits)} on the current image. */
    public SamPrediction predict(SamPrompt prompt, boolean multimask, boolean returnLogits) {
        return current().predict(prompt, multimask, returnLogits);
    }

    /** See {@link SamImageEmbedding#predictBest}. */
    public SamPrediction predictBest(SamPrompt prompt, boolean returnLogits) { return current().predictBest(prompt, returnLogits); }

    /** Many prompts against the current image, batched by structure. */
    public List<SamPrediction> predictAll(List<SamPrompt> prompts, boolean multimask, boolean returnLogits) {
        return current().predictAll(prompts, multimask, returnLogits);
    }

    /** Drops (and frees) the current image. */
    public void resetImage() {
        SamImageEmbedding old = current.getAndSet(null);
        if (old != null) old.close();
    }

    @Override public void close() { resetImage(); }
}
