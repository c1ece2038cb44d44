package org.calico.sam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.calico.io.TensorInfo;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;

/**
 * A whole SAM ({@code segment_anything/modeling/sam.py}): the three sub-configs plus the pixel normalisation
 * (0-255 scale, RGB) and the mask threshold (0.0). {@link #vitB()}, {@link #vitL()}, {@link #vitH()} are the released
 * models of {@code build_sam.py}; {@link #small} builds arbitrary small configurations (e.g. a 128x128 model trained
 * from scratch); {@link #inferFrom} reads the configuration off a checkpoint's tensor shapes.
 */
public record SamConfig(ImageEncoderConfig imageEncoder, PromptEncoderConfig promptEncoder, MaskDecoderConfig maskDecoder,
                        float[] pixelMean, float[] pixelStd, float maskThreshold) {

    /** {@code Sam.pixel_mean} / {@code pixel_std} defaults (ImageNet on the 0-255 scale). */
    public static final float[] PIXEL_MEAN = {123.675f, 116.28f, 103.53f};
    public static final float[] PIXEL_STD = {58.395f, 57.12f, 57.375f};

    public SamConfig {
        pixelMean = pixelMean.clone();
        pixelStd = pixelStd.clone();
        if (pixelMean.length != imageEncoder.inChans() || pixelStd.length != imageEncoder.inChans())
            throw new IllegalArgumentException("pixel_mean/pixel_std need " + imageEncoder.inChans() + " values, got "
                    + pixelMean.length + "/" + pixelStd.length);
        for (float s : pixelStd) if (!(s > 0)) throw new IllegalArgumentException("pixel_std must be positive, got " + Arrays.toString(pixelStd));
        int c = imageEncoder.outChans();
        if (promptEncoder.embedDim() != c || maskDecoder.transformerDim() != c)
            throw new IllegalArgumentException("SAM dims disagree: image encoder out_chans " + c + ", prompt embed_dim "
                    + promptEncoder.embedDim() + ", decoder transformer_dim " + maskDecoder.transformerDim() + " must be equal");
        int g = imageEncoder.gridSize();
        if (promptEncoder.embeddingH() != g || promptEncoder.embeddingW() != g)
            throw new IllegalArgumentException("prompt encoder image_embedding_size " + promptEncoder.embeddingH() + "x"
                    + promptEncoder.embeddingW() + " must equal the encoder grid " + g + "x" + g);
        if (promptEncoder.inputH() != imageEncoder.imgSize() || promptEncoder.inputW() != imageEncoder.imgSize())
            throw new IllegalArgumentException("prompt encoder input_image_size " + promptEncoder.inputH() + "x" + promptEncoder.inputW()
                    + " must equal the encoder img_size " + imageEncoder.imgSize());
    }

    @Override public float[] pixelMean() { return pixelMean.clone(); }

    @Override public float[] pixelStd() { return pixelStd.clone(); }

    /** The model input side S (1024). */
    public int imgSize() { return imageEncoder.imgSize(); }

    /** The prompt / decoder dim (256). */
    public int embedDim() { return imageEncoder.outChans(); }

    public static SamConfig of(ImageEncoderConfig enc, MaskDecoderConfig dec, int maskInChans) {
        int g = enc.gridSize();
        PromptEncoderConfig pe = new PromptEncoderConfig(enc.outChans(), g, g, enc.imgSize(), enc.imgSize(), maskInChans);
        return new SamConfig(enc, pe, dec, PIXEL_MEAN, PIXEL_STD, 0.0f);
    }

    /** SAM ViT-B ({@code build_sam_vit_b}): D 768, depth 12, 12 heads, global blocks 2, 5, 8, 11. */
    public static SamConfig vitB() {
        return of(ImageEncoderConfig.released(768, 12, 12, List.of(2, 5, 8, 11)), MaskDecoderConfig.released(), 16);
    }

    /** SAM ViT-L ({@code build_sam_vit_l}): D 1024, depth 24, 16 heads, global blocks 5, 11, 17, 23. */
    public static SamConfig vitL() {
        return of(ImageEncoderConfig.released(1024, 24, 16, List.of(5, 11, 17, 23)), MaskDecoderConfig.released(), 16);
    }

    /** SAM ViT-H ({@code build_sam_vit_h}, the CALICO/GLaMM grounding model): D 1280, depth 32, 16 heads, global 7, 15, 23, 31. */
    public static SamConfig vitH() {
        return of(ImageEncoderConfig.released(1280, 32, 16, List.of(7, 15, 23, 31)), MaskDecoderConfig.released(), 16);
    }

    /** By name: {@code vit_b}, {@code vit_l}, {@code vit_h} (also {@code default} = vit_h, as {@code sam_model_registry}). */
    public static SamConfig named(String name) {
        switch (name.toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
            case "vit_b": return vitB();
            case "vit_l": return vitL();
            case "vit_h": case "default": return vitH();
            default: throw new IllegalArgumentException("unknown SAM model '" + name + "' (known: vit_b, vit_l, vit_h)");
        }
    }

    /**
     * A small configuration for tests and from-scratch training: a windowed/global ViT with the given sizes, a decoder
     * of width {@code outChans} (mlp {@code decoderMlp}, {@code decoderHeads} heads, depth 2, 3 multimask outputs, IoU
     * head 3 x {@code outChans}) and mask_in_chans 16. E.g. {@code small(128, 8, 64, 2, 4, 4, List.of(1), 64, 128, 4)}.
     */
    public static SamConfig small(int imgSize, int patchSize, int embedDim, int depth, int numHeads, int windowSize,
                                  List<Integer> globalAttnIndexes, int outChans, int decoderMlp, int decoderHeads) {
        ImageEncoderConfig enc = new ImageEncoderConfig(imgSize, patchSize, 3, embedDim, depth, numHeads, 4.0, outChans,
                true, true, true, windowSize, globalAttnIndexes, 1e-6);
        MaskDecoderConfig dec = new MaskDecoderConfig(outChans, 2, decoderMlp, decoderHeads, 2, 3, 3, outChans);
        return of(enc, dec, 16);
    }

    /** Total parameters (buffers excluded, as {@code Module.parameterCount()}), from the shapes alone. */
    public long parameterCount() {
        return imageEncoder.parameterCount() + promptEncoder.parameterCount() + maskDecoder.parameterCount();
    }

    /**
     * Elements in the state dict: the parameters plus the persistent buffer
     * {@code prompt_encoder.pe_layer.positional_encoding_gaussian_matrix [2, C/2]} (the spec's "parameter counts",
     * e.g. ViT-B 93,735,728, are state-dict sums).
     */
    public long stateDictElements() { return parameterCount() + promptEncoder.embedDim(); }

    // ------------------------------------------------------------------ inference from a checkpoint

    /**
     * Reads the configuration off the tensor shapes of a SAM checkpoint (through {@code mapping}, so HF and GLaMM
     * files work too). From shapes: embed dim, depth, patch and image size, head dim (so heads = D / head_dim) and the
     * window size from the {@code rel_pos} tables, the global blocks (tables of length 2*grid-1), out_chans, mask_in_chans,
     * the decoder's mlp_dim, depth, number of mask tokens and IoU head depth/width. Not in the shapes, taken from
     * {@code build_sam.py}: the decoder's 8 heads, qkv bias, LayerNorm eps, pixel mean/std; the attention downsample
     * rate is the decoder width over the cross-attention width. Throws naming the missing key if the file is not a SAM
     * checkpoint.
     */
    public static SamConfig inferFrom(TensorSource src, KeyMapping mapping) { return inferFrom(src, mapping, 8); }

    /** {@link #inferFrom(TensorSource, KeyMapping)} with the decoder's head count given (it is not in the shapes). */
    public static SamConfig inferFrom(TensorSource src, KeyMapping mapping, int decoderHeads) {
        long[] patch = shape(src, mapping, "image_encoder.patch_embed.proj.weight");     // [D, 3, p, p]
        long[] pos = shape(src, mapping, "image_encoder.pos_embed");                      // [1, g, g, D]
        int d = (int) patch[0], inCh = (int) patch[1], p = (int) patch[2];
        int g = (int) pos[1];
        int depth = count(src, mapping, "image_encoder.blocks.%d.attn.rel_pos_h");
        if (depth == 0)
            throw new IllegalArgumentException(src.description() + ": no image_encoder.blocks.0.attn.rel_pos_h (via "
                    + mapping.name() + "); not a SAM checkpoint with relative positions");
        List<Integer> global = new ArrayList<>();
        int window = 0;
        long headDim = -1;
        for (int i = 0; i < depth; i++) {
            long[] rp = shape(src, mapping, "image_encoder.blocks." + i + ".attn.rel_pos_h");
            headDim = rp[1];
            int size = (int) ((rp[0] + 1) / 2);
            if (size == g) global.add(i);
            else if (window == 0 || window == size) window = size;
            else throw new IllegalArgumentException(src.description() + ": blocks use different window sizes (" + window + " and " + size + ")");
        }
        if (d % headDim != 0)
            throw new IllegalArgumentException(src.description() + ": embed dim " + d + " is not a multiple of the rel-pos head dim " + headDim);
        long[] lin1 = shape(src, mapping, "image_encoder.blocks.0.mlp.lin1.weight");
        long[] neck = shape(src, mapping, "image_encoder.neck.0.weight");
        ImageEncoderConfig enc = new ImageEncoderConfig(g * p, p, inCh, d, depth, (int) (d / headDim), (double) lin1[0] / d,
                (int) neck[0], true, true, true, window, global, 1e-6);
        long[] md3 = shape(src, mapping, "prompt_encoder.mask_downscaling.3.weight");    // [mic, mic/4, 2, 2]
        long[] tokens = shape(src, mapping, "mask_decoder.mask_tokens.weight");          // [K, C]
        long[] mlp = shape(src, mapping, "mask_decoder.transformer.layers.0.mlp.lin1.weight");
        long[] cross = shape(src, mapping, "mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight");
        long[] iouIn = shape(src, mapping, "mask_decoder.iou_prediction_head.layers.0.weight");
        int layers = count(src, mapping, "mask_decoder.transformer.layers.%d.norm1.weight");
        int iouLayers = count(src, mapping, "mask_decoder.iou_prediction_head.layers.%d.weight");
        MaskDecoderConfig dec = new MaskDecoderConfig((int) tokens[1], layers, (int) mlp[0], decoderHeads, (int) (tokens[1] / cross[0]),
                (int) tokens[0] - 1, iouLayers, iouLayers == 1 ? (int) tokens[1] : (int) iouIn[0]);
        return of(enc, dec, (int) md3[0]);
    }

    private static int count(TensorSource src, KeyMapping mapping, String template) {
        int n = 0;
        while (has(src, mapping, String.format(java.util.Locale.ROOT, template, n))) n++;
        return n;
    }

    private static boolean has(TensorSource src, KeyMapping mapping, String moduleKey) {
        for (String s : mapping.resolve(moduleKey).sourceKeys()) if (s == null || !src.contains(s)) return false;
        return true;
    }

    private static long[] shape(TensorSource src, KeyMapping mapping, String moduleKey) {
        String key = mapping.resolve(moduleKey).sourceKeys().get(0);
        if (!src.contains(key))
            throw new IllegalArgumentException(src.description() + ": not a SAM checkpoint for mapping " + mapping.name()
                    + ": tensor '" + key + "' (" + moduleKey + ") is missing");
        TensorInfo info = src.info(key);
        return info.shape();
    }

    @Override public boolean equals(Object o) {
        return o instanceof SamConfig s && imageEncoder.equals(s.imageEncoder) && promptEncoder.equals(s.promptEncoder)
                && maskDecoder.equals(s.maskDecoder) && Arrays.equals(pixelMean, s.pixelMean) && Arrays.equals(pixelStd, s.pixelStd)
                && maskThreshold == s.maskThreshold;
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(imageEncoder, promptEncoder, maskDecoder, Arrays.hashCode(pixelMean), Arrays.hashCode(pixelStd), maskThreshold);
    }

    @Override public String toString() {
        return "SamConfig[" + imageEncoder + ", " + promptEncoder + ", " + maskDecoder + ", pixel_mean=" + Arrays.toString(pixelMean)
                + ", pixel_std=" + Arrays.toString(pixelStd) + ", mask_threshold=" + maskThreshold + "]";
    }

}
