package org.calico.sam;

import java.util.List;

import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;

/**
 * Checkpoint name tables for {@link SamModel} (module keys are the original {@code segment_anything} names, e.g.
 * {@code image_encoder.blocks.0.attn.qkv.weight}). Data only: see {@link KeyMapping}.
 * <ul>
 *   <li>{@link #ORIGINAL}: the released {@code sam_vit_{b,l,h}_*.pth} state dicts (identity).</li>
 *   <li>{@link #GLAMM}: SAM inside a GLaMM / CALICO checkpoint, prefix {@code model.grounding_encoder.}; every other key
 *       of the full checkpoint (LLM, projections, region encoder, ...) is knowingly ignored.</li>
 *   <li>{@link #HF}: Hugging Face {@code facebook/sam-vit-*} ({@code SamModel}), renames as
 *       {@code transformers/models/sam/convert_sam_to_hf.py} and checked against the names of
 *       {@code transformers.SamModel} 5.18: {@code vision_encoder.layers.i.layer_norm1},
 *       {@code patch_embed.projection}, {@code neck.conv1/layer_norm1/conv2/layer_norm2},
 *       {@code mask_embed.conv1/layer_norm1/conv2/layer_norm2/conv3}, {@code point_embed.i},
 *       {@code upscale_conv1/upscale_layer_norm/upscale_conv2}, MLPs {@code proj_in / layers.i-1 / proj_out},
 *       {@code layer_norm_final_attn}. HF keeps SAM's fused {@code qkv}, so no fuse/slice rules are needed. The
 *       positional Gaussian matrix is read from the top-level {@code shared_image_embedding.positional_embedding} (the
 *       tied source); its copy {@code prompt_encoder.shared_embedding.positional_embedding} is ignored when present.</li>
 * </ul>
 */
public final class SamMappings {
    private SamMappings() {}

    public static final KeyMapping ORIGINAL = KeyMapping.builder("sam-original").build();

    public static final KeyMapping GLAMM = KeyMapping.builder("glamm")
            .prefix("model.grounding_encoder.")
            .ignore("(?!model\\.grounding_encoder\\.).*")
            .build();

    /** HF names for the released decoder (IoU head depth 3). */
    public static final KeyMapping HF = hf(3);

    /** HF names for a decoder whose IoU head has {@code iouHeadDepth} layers (HF {@code SamFeedForward}). */
    public static KeyMapping hf(int iouHeadDepth) {
        if (iouHeadDepth < 2) throw new IllegalArgumentException("HF SamFeedForward needs at least 2 layers (proj_in, proj_out), got " + iouHeadDepth);
        KeyMapping.Builder b = KeyMapping.builder(iouHeadDepth == 3 ? "hf" : "hf(iou_head_depth=" + iouHeadDepth + ")")
                // image encoder
                .rename("^image_encoder\\.", "vision_encoder.")
                .rename("^vision_encoder\\.blocks\\.", "vision_encoder.layers.")
                .rename("^vision_encoder\\.patch_embed\\.proj\\.", "vision_encoder.patch_embed.projection.")
                .rename("^vision_encoder\\.neck\\.0\\.", "vision_encoder.neck.conv1.")
                .rename("^vision_encoder\\.neck\\.1\\.", "vision_encoder.neck.layer_norm1.")
                .rename("^vision_encoder\\.neck\\.2\\.", "vision_encoder.neck.conv2.")
                .rename("^vision_encoder\\.neck\\.3\\.", "vision_encoder.neck.layer_norm2.")
                .rename("\\.norm(\\d)\\.", ".layer_norm$1.")
                // prompt encoder
                .rename("^prompt_encoder\\.pe_layer\\.positional_encoding_gaussian_matrix$", "shared_image_embedding.positional_embedding")
                .rename("^prompt_encoder\\.point_embeddings\\.", "prompt_encoder.point_embed.")
                .rename("^prompt_encoder\\.mask_downscaling\\.0\\.", "prompt_encoder.mask_embed.conv1.")
                .rename("^prompt_encoder\\.mask_downscaling\\.1\\.", "prompt_encoder.mask_embed.layer_norm1.")
                .rename("^prompt_encoder\\.mask_downscaling\\.3\\.", "prompt_encoder.mask_embed.conv2.")
                .rename("^prompt_encoder\\.mask_downscaling\\.4\\.", "prompt_encoder.mask_embed.layer_norm2.")
                .rename("^prompt_encoder\\.mask_downscaling\\.6\\.", "prompt_encoder.mask_embed.conv3.")
                // mask decoder
                .rename("^mask_decoder\\.transformer\\.norm_final_attn\\.", "mask_decoder.transformer.layer_norm_final_attn.")
                .rename("^mask_decoder\\.output_upscaling\\.0\\.", "mask_decoder.upscale_conv1.")
                .rename("^mask_decoder\\.output_upscaling\\.1\\.", "mask_decoder.upscale_layer_norm.")
                .rename("^mask_decoder\\.output_upscaling\\.3\\.", "mask_decoder.upscale_conv2.")
                .ignore("prompt_encoder\\.shared_embedding\\.positional_embedding");
        // MLPs: layers.0 -> proj_in, layers.{n-1} -> proj_out, layers.i -> layers.{i-1} (increasing i, so no rule re-matches)
        mlp(b, "mask_decoder\\.output_hypernetworks_mlps\\.\\d+", 3);
        mlp(b, "mask_decoder\\.iou_prediction_head", iouHeadDepth);
        return b.build();
    }

    private static void mlp(KeyMapping.Builder b, String owner, int n) {
        b.rename("^(" + owner + ")\\.layers\\.0\\.", "$1.proj_in.");
        b.rename("^(" + owner + ")\\.layers\\." + (n - 1) + "\\.", "$1.proj_out.");
        for (int i = 1; i < n - 1; i++) b.rename("^(" + owner + ")\\.layers\\." + i + "\\.", "$1.layers." + (i - 1) + ".");
    }

    /** The mapping for SAM module key {@code image_encoder.pos_embed} found in {@code src}, or null. */
    public static KeyMapping detect(TensorSource src) {
        for (KeyMapping m : List.of(ORIGINAL, GLAMM, HF)) {
            String key = m.resolve("image_encoder.pos_embed").sourceKeys().get(0);
            if (src.contains(key)) return m;
        }
        return null;
    }

    /** {@link #detect}, failing with the keys looked for. */
    public static KeyMapping detectOrThrow(TensorSource src) {
        KeyMapping m = detect(src);
        if (m == null)
            throw new IllegalArgumentException(src.description() + ": not a SAM checkpoint: none of image_encoder.pos_embed (original), "
                    + "model.grounding_encoder.image_encoder.pos_embed (GLaMM) or vision_encoder.pos_embed (HF facebook/sam-vit-*) is present ("
                    + src.names().size() + " tensors)");
        return m;
    }

    /** By name: original, glamm, hf. */
    public static KeyMapping named(String name) {
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "original": case "sam": case "sam-original": return ORIGINAL;
            case "glamm": return GLAMM;
            case "hf": case "huggingface": return HF;
            default: throw new IllegalArgumentException("unknown SAM checkpoint mapping '" + name + "' (known: original, glamm, hf)");
        }
    }
}
