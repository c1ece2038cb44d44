package org.calico.model;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * Everything CALICO computes from one image, independent of the prompt and of the other images (so it is cached per
 * image content and reused across pairings):
 *
 * @param evaFeatures  X_global, EVA-CLIP features after ln_vision [1, S_C, C]
 * @param llmTokens    the image's LLM input tokens, projected Q-Former outputs [1, Nq, D]
 * @param fused        X'_global, CEM output [1, S_C, C] (= evaFeatures when the CEM is switched off)
 * @param samEmbedding SAM image embedding [1, C_sam, g, g]
 * @param origH        original image height (masks are returned at this size)
 * @param origW        original image width
 * @param inputH       height after SAM's longest-side resize (the unpadded part of the SAM input)
 * @param inputW       width after SAM's longest-side resize
 */
public record ImageFeatures(Tensor evaFeatures, Tensor llmTokens, Tensor fused, Tensor samEmbedding, int origH, int origW,
                            int inputH, int inputW) implements AutoCloseable {

    /** A copy whose tensors survive the caller's PointerScope (detached from autograd); {@link #close()} releases them. */
    public ImageFeatures retained() {
        return new ImageFeatures(T.keep(evaFeatures.detach()), T.keep(llmTokens.detach()), T.keep(fused.detach()),
                T.keep(samEmbedding.detach()), origH, origW, inputH, inputW);
    }

    /** Bytes held by the tensors (for cache accounting). */
    public long bytes() {
        return evaFeatures.nbytes() + llmTokens.nbytes() + fused.nbytes() + samEmbedding.nbytes();
    }

    /** Releases tensors made by {@link #retained()}. */
    @Override public void close() {
        T.release(evaFeatures);
        T.release(llmTokens);
        T.release(fused);
        T.release(samEmbedding);
    }
}
