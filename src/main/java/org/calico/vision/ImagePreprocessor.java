package org.calico.vision;

import org.calico.image.PilResample;
import org.calico.image.RgbImage;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * Image pre-processing of the vision encoders: uint8 RGB -> resize (Pillow semantics, {@link PilResample}) ->
 * {@code x / 255} -> {@code (x - mean) / std} per channel, in float32 -> [B, 3, H, W].
 *
 * <ul>
 *   <li>{@link #blip2()}: LAVIS {@code blip_image_eval} (image_size 224): torchvision
 *       {@code Resize((224, 224), BICUBIC)} on a PIL image (aspect ratio NOT kept), {@code ToTensor},
 *       {@code Normalize(CLIP mean, CLIP std)}.</li>
 *   <li>{@link #dinov2()}: CALICO decision (spec section 7): the same 224x224 PIL bicubic resize as BLIP-2 (so the
 *       16x16 DINOv2 patch grid covers exactly the EVA 16x16 grid), ImageNet mean/std. (HF's
 *       {@code BitImageProcessor} instead resizes the short side to 256 and centre-crops 224; that crop would cut
 *       image content the EVA branch sees.)</li>
 * </ul>
 * Thread-safe and immutable.
 */
public final class ImagePreprocessor {
    /** OpenAI CLIP normalisation (LAVIS {@code BlipImageBaseProcessor}). */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    /** ImageNet normalisation (DINOv2). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final int height, width;
    private final PilResample.Filter filter;
    private final float[] mean, std;

    public ImagePreprocessor(int height, int width, PilResample.Filter filter, float[] mean, float[] std) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("target size must be positive, got " + height + "x" + width);
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need 3 values");
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std values must be positive");
        this.height = height;
        this.width = width;
        this.filter = filter;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** BLIP-2 eval pre-processing at 224 px. */
    public static ImagePreprocessor blip2() { return blip2(224); }

    public static ImagePreprocessor blip2(int size) { return new ImagePreprocessor(size, size, PilResample.Filter.BICUBIC, CLIP_MEAN, CLIP_STD); }

    /** DINOv2 pre-processing at 224 px (CALICO decision). */
    public static ImagePreprocessor dinov2() { return dinov2(224); }

    public static ImagePreprocessor dinov2(int size) { return new ImagePreprocessor(size, size, PilResample.Filter.BICUBIC, IMAGENET_MEAN, IMAGENET_STD); }

    public int height() { return height; }

    public int width() { return width; }

    /** The resized uint8 HWC image (Pillow-exact). */
    public byte[] resize(RgbImage img) {
        return PilResample.resize(img.hwc(), img.height(), img.width(), 3, height, width, filter);
    }

    /** Normalised CHW float32 values of one image. */
    public float[] toChw(RgbImage img) {
        byte[] r = resize(img);
        int n = height * width;
        float[] out = new float[3 * n];
        for (int c = 0; c < 3; c++) {
            float m = mean[c], s = std[c];
            for (int i = 0; i < n; i++) {
                float v = (r[i * 3 + c] & 0xff) / 255f;
                out[c * n + i] = (v - m) / s;
            }
        }
        return out;
    }

    /** One image -> [1, 3, H, W] F32 on the CPU. */
    public Tensor apply(RgbImage img) { return apply(List.of(img)); }

    /** Images -> [B, 3, H, W] F32 on the CPU. */
    public Tensor apply(List<RgbImage> imgs) {
        if (imgs.isEmpty()) throw new IllegalArgumentException("no images to pre-process");
        int n = 3 * height * width;
        float[] all = new float[Math.multiplyExact(n, imgs.size())];
        for (int i = 0; i < imgs.size(); i++) System.arraycopy(toChw(imgs.get(i)), 0, all, i * n, n);
        return T.fromFloats(all, imgs.size(), 3, height, width);
    }
}
