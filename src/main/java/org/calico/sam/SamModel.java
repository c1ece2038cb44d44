package org.calico.sam;

import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.image.RgbImage;
import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;
import org.calico.nn.LoadReport;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM ({@code Sam}, {@code segment_anything/modeling/sam.py}): {@code image_encoder}, {@code prompt_encoder},
 * {@code mask_decoder} plus the pixel normalisation and the mask post-processing. For repeated prompting of one image
 * use {@link SamPredictor}; this class holds the tensor-level steps the CALICO assembly calls:
 * {@link #preprocess} -> {@link #encodeImage} -> {@link PromptEncoder#textEmbeds} -> {@link MaskDecoder#forward} ->
 * {@link #postprocessMasks}.
 */
public final class SamModel extends Module {
    public final SamConfig config;
    public final ImageEncoderViT imageEncoder;
    public final PromptEncoder promptEncoder;
    public final MaskDecoder maskDecoder;

    public SamModel(SamConfig config) { this(config, DType.F32, Dev.CPU); }

    public SamModel(SamConfig config, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = config;
        this.imageEncoder = child("image_encoder", new ImageEncoderViT(config.imageEncoder(), dtype, dev));
        this.promptEncoder = child("prompt_encoder", new PromptEncoder(config.promptEncoder(), dtype, dev));
        this.maskDecoder = child("mask_decoder", new MaskDecoder(config.maskDecoder(), dtype, dev));
    }

    /**
     * Opens a checkpoint (safetensors file / sharded index / torch zip), detects its naming ({@link SamMappings}),
     * reads the configuration off the shapes ({@link SamConfig#inferFrom}) and loads it (F32, CPU).
     */
    public static SamModel load(Path checkpoint) {
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            KeyMapping m = SamMappings.detectOrThrow(src);
            SamModel model = new SamModel(SamConfig.inferFrom(src, m));
            try {
                model.load(src, m, false);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            return model;
        }
    }

    /** Loads weights named by {@code mapping} (see {@link SamMappings}); GLaMM's non-SAM keys are ignored by its table. */
    public LoadReport loadWeights(TensorSource src, KeyMapping mapping) { return load(src, mapping, false); }

    // ------------------------------------------------------------------ pre / post-processing

    /**
     * {@code Sam.preprocess}: pixels on the 0-255 scale [B, 3, H, W] (U8 or float; H, W <= S) -> normalised with
     * pixel_mean/pixel_std and zero-padded at the bottom/right to [B, 3, S, S] (padding after normalisation, so 0).
     */
    public Tensor preprocess(Tensor pixels) {
        int s = config.imgSize();
        if (pixels.dim() != 4 || pixels.size(1) != config.imageEncoder().inChans() || pixels.size(2) > s || pixels.size(3) > s)
            throw new IllegalArgumentException("SAM preprocess expects [B, " + config.imageEncoder().inChans() + ", H, W] with H, W <= " + s
                    + " (resize the longest side first), got " + T.shapeString(pixels));
        long c = pixels.size(1);
        Tensor mean = T.fromFloats(config.pixelMean(), c, 1, 1).to(pixels.device(), torch.ScalarType.Float);
        Tensor std = T.fromFloats(config.pixelStd(), c, 1, 1).to(pixels.device(), torch.ScalarType.Float);
        Tensor x = pixels.sub(mean).div(std);
        long padH = s - pixels.size(2), padW = s - pixels.size(3);
        return T.pad(x, 0, padW, 0, padH).to(dtype().scalarType());
    }

    /** An RGB image already resized to the longest side S ({@link ResizeLongestSide}) -> [1, 3, S, S] model input. */
    public Tensor preprocess(RgbImage resized) {
        Tensor hwc = T.fromBytes(resized.hwc(), resized.height(), resized.width(), 3);
        Tensor chw = hwc.permute(2, 0, 1).contiguous().unsqueeze(0);
        if (device().cuda()) chw = chw.to(device().torch(), torch.ScalarType.Byte);
        return preprocess(chw);
    }

    /** The image encoder: preprocessed [B, 3, S, S] -> image embeddings [B, C, S/p, S/p]. */
    public Tensor encodeImage(Tensor preprocessed) { return imageEncoder.forward(preprocessed); }

    /**
     * {@code Sam.postprocess_masks}: low-res logits [N, k, 4h, 4w] -> bilinear (align_corners=False) to S x S -> crop
     * to the resized image {@code inputH x inputW} -> bilinear to the original {@code origH x origW} -> [N, k, origH, origW]
     * logits (threshold with {@link SamConfig#maskThreshold()}, 0.0).
     */
    public Tensor postprocessMasks(Tensor lowRes, int inputH, int inputW, int origH, int origW) {
        int s = config.imgSize();
        if (inputH <= 0 || inputW <= 0 || inputH > s || inputW > s)
            throw new IllegalArgumentException("postprocess: input size " + inputH + "x" + inputW + " must lie within the model input " + s + "x" + s);
        if (origH <= 0 || origW <= 0) throw new IllegalArgumentException("postprocess: original size must be positive, got " + origH + "x" + origW);
        Tensor m = T.resizeBilinear(lowRes.to(torch.ScalarType.Float), s, s, false);
        m = m.narrow(2, 0, inputH).narrow(3, 0, inputW);
        return T.resizeBilinear(m, origH, origW, false);
    }
}
