package org.calico.llm;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;
import org.calico.text.PromptLayout;

/**
 * Builds {@code inputs_embeds} for a multi-image prompt: the text tokens of a {@link PromptLayout} through
 * {@code embed_tokens}, and each image's span replaced by that image's projected Q-Former tokens (LLaVA/GLaMM
 * {@code prepare_inputs_labels_for_multimodal}; no scaling). Built with {@code cat}, so gradients flow to the image
 * tokens in training.
 */
public final class ImageSplicer {
    private ImageSplicer() {}

    /**
     * layout: the tokenized prompt; images: one tensor per image, [tokensPerImage, D] or [1, tokensPerImage, D], in
     * image order. Returns [1, L, D] in the model dtype on the model device.
     */
    public static Tensor splice(LlamaForCausalLM model, PromptLayout layout, List<Tensor> images) {
        if (images.size() != layout.numImages())
            throw new IllegalArgumentException("prompt has " + layout.numImages() + " images but " + images.size() + " image token tensors were given");
        long d = model.config.hiddenSize();
        int fill = Math.max(0, model.config.padId());
        long[] ids = layout.idsForEmbedding(fill);
        Tensor text = model.embed(T.fromLongs(ids, 1, ids.length)).squeeze(0); // [L, D]
        List<Tensor> parts = new ArrayList<>();
        int pos = 0;
        for (PromptLayout.Span s : layout.imageSpans()) {
            Tensor img = images.get(s.image());
            if (img.dim() == 3 && img.size(0) == 1) img = img.squeeze(0);
            if (img.dim() != 2 || img.size(0) != s.length() || img.size(1) != d)
                throw new IllegalArgumentException("image " + (s.image() + 1) + " tokens have shape " + T.shapeString(img) + ", expected [" + s.length() + ", " + d + "]");
            if (s.start() > pos) parts.add(text.narrow(0, pos, s.start() - pos));
            parts.add(T.to(img, model.device(), model.dtype()));
            pos = s.end();
        }
        if (pos < ids.length) parts.add(text.narrow(0, pos, ids.length - pos));
        return T.cat(0, parts).unsqueeze(0);
    }
}
