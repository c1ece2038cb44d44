package org.calico.vision;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * PyTorch's {@code F.interpolate(x, mode="bicubic", align_corners=False, antialias=...)} for resizing a position
 * embedding grid, written out as two separable weight matrices so that the result does not depend on which private
 * LibTorch op the presets expose.
 *
 * <p><b>Antialiased</b> ({@code aten/src/ATen/native/cpu/UpSampleKernel.cpp::_compute_indices_min_size_weights_aa},
 * the spec's "PyTorch antialiased bicubic resize"): per axis with input length n and output length m,
 * {@code scale = n/m} (or {@code 1/scale_factor} when a scale factor is given), {@code support = 2 max(scale, 1)},
 * {@code inv = 1 / max(scale, 1)}; output i has {@code center = scale (i + 0.5)}, taps
 * {@code j in [max(int(center - support + 0.5), 0), min(int(center + support + 0.5), n))}, weights
 * {@code K((j - center + 0.5) inv)} with Keys' cubic at {@code a = -0.5}, taps outside the input dropped and the rest
 * renormalised to sum 1.
 *
 * <p><b>Plain bicubic</b> ({@code upsample_bicubic2d}): source {@code x = scale (i + 0.5) - 0.5}, 4 taps
 * {@code floor(x) - 1 .. floor(x) + 2} clamped to the border, Keys' cubic at {@code a = -0.75}.
 *
 * <p>Weights are computed in float32 arithmetic like aten's kernels; the grid is resized in float32 (as upstream, which
 * casts the position embedding to float32 first) and cast back by the caller.
 */
public final class PosEmbedInterpolation {
    private PosEmbedInterpolation() {}

    /** Keys' cubic in float arithmetic, as the aten kernels evaluate it for float inputs. */
    static float keysF(float x, float a) {
        x = Math.abs(x);
        if (x < 1.0f) return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
        if (x < 2.0f) return (((x - 5.0f) * x + 8.0f) * x - 4.0f) * a;
        return 0.0f;
    }

    /**
     * The [out, in] weight matrix of one axis (row-major), evaluated in float32 arithmetic like aten's CPU kernels for
     * float tensors ({@code scale}, centres and filter taps are {@code float} there).
     *
     * @param scaleFactor the {@code scale_factor} passed to F.interpolate, or {@code <= 0} when an explicit size is
     *                    given (then the source step is {@code in / out})
     */
    public static double[] weights(int in, int out, double scaleFactor, boolean antialias) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("interpolation sizes must be positive: " + in + " -> " + out);
        // area_pixel_compute_scale<float>: (float)(1.0 / scale_factor) or (float) in / out
        float scale = scaleFactor > 0 ? (float) (1.0 / scaleFactor) : (float) in / out;
        double[] w = new double[out * in];
        if (antialias) {
            float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
            float inv = scale >= 1.0f ? 1.0f / scale : 1.0f;
            int maxTaps = (int) Math.ceil(support) * 2 + 1;
            for (int i = 0; i < out; i++) {
                float center = scale * (float) (i + 0.5);
                int lo = Math.max((int) (long) (center - support + 0.5f), 0);
                int size = Math.min((int) (long) (center + support + 0.5f), in) - lo;
                size = Math.max(0, Math.min(size, maxTaps));
                float total = 0;
                float[] k = new float[size];
                for (int j = 0; j < size; j++) {
                    k[j] = keysF(((float) (j + lo) - center + 0.5f) * inv, -0.5f);
                    total += k[j];
                }
                for (int j = 0; j < size; j++) w[i * in + lo + j] = total != 0.0f ? k[j] / total : k[j];
            }
        } else {
            for (int i = 0; i < out; i++) {
                float x = scale * (float) (i + 0.5) - 0.5f; // area_pixel_compute_source_index(cubic=true)
                int x0 = (int) Math.floor(x);
                float t = x - x0;
                float[] c = {keysF(t + 1.0f, -0.75f), keysF(t, -0.75f), keysF(1.0f - t, -0.75f), keysF(2.0f - t, -0.75f)};
                for (int k = 0; k < 4; k++) {
                    int j = Math.min(Math.max(x0 - 1 + k, 0), in - 1);
                    w[i * in + j] += c[k];
                }
            }
        }
        return w;
    }

    private static Tensor matrix(double[] w, int out, int in) {
        float[] f = new float[w.length];
        for (int i = 0; i < w.length; i++) f[i] = (float) w[i];
        return T.fromFloats(f, out, in);
    }

    /**
     * Resizes a channels-last grid. grid [Hin, Win, C] (any float dtype; computed in F32) -> [outH, outW, C] F32.
     * {@code sfH/sfW <= 0}: explicit output size; otherwise the scale factors given to F.interpolate.
     */
    public static Tensor resize(Tensor grid, int outH, int outW, double sfH, double sfW, boolean antialias) {
        if (grid.dim() != 3) throw new IllegalArgumentException("grid must be [H, W, C], got " + T.shapeString(grid));
        int inH = (int) grid.size(0), inW = (int) grid.size(1);
        long c = grid.size(2);
        Tensor g = T.to(grid, DType.F32).contiguous();
        Tensor wh = T.to(matrix(weights(inH, outH, sfH, antialias), outH, inH), VisionOps.devOf(grid), DType.F32);
        Tensor ww = T.to(matrix(weights(inW, outW, sfW, antialias), outW, inW), VisionOps.devOf(grid), DType.F32);
        Tensor rows = T.matmul(wh, g.reshape(inH, inW * c)).reshape(outH, inW, c); // [outH, inW, C]
        return T.matmul(ww, rows); // [outW, inW] @ [outH, inW, C] -> [outH, outW, C]
    }
}
