package org.calico.image;

/**
 * Pillow's {@code Image.resize(size, resample)} for 8-bit images without a reducing gap, re-implemented bit-exactly
 * ({@code Pillow/src/libImaging/Resample.c}: {@code precompute_coeffs}, {@code normalize_coeffs_8bpc},
 * {@code ImagingResampleHorizontal_8bpc} / {@code Vertical_8bpc}). This is what torchvision's {@code Resize} does to a
 * PIL image, i.e. what LAVIS' {@code blip_image_eval} (bicubic) and SAM's {@code ResizeLongestSide.apply_image}
 * (bilinear) feed their models.
 *
 * <p>Algorithm: separable, horizontal pass first (into an 8-bit intermediate holding only the rows the vertical pass
 * reads), then vertical. Per axis, {@code scale = in / out}, {@code filterscale = max(scale, 1)},
 * {@code support = filter support * filterscale}; output i has {@code center = (i + 0.5) scale}, taps
 * {@code [max(int(center - support + 0.5), 0), min(int(center + support + 0.5), in))}, weights
 * {@code filter((j - center + 0.5) / filterscale)} normalised to sum 1, then rounded to 22-bit fixed point
 * ({@code (int)(w * 2^22 +- 0.5)}). Each output byte is {@code clamp((2^21 + sum(w_j * p_j)) >> 22, 0, 255)}.
 * Filters: BICUBIC is Keys' cubic with a = -0.5 (support 2), BILINEAR the triangle (support 1).
 */
public final class PilResample {
    private PilResample() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** PIL resampling filters. */
    public enum Filter {
        BILINEAR(1.0), BICUBIC(2.0);

        final double support;

        Filter(double support) { this.support = support; }

        double apply(double x) {
            if (this == BILINEAR) {
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            return keys(x, -0.5);
        }
    }

    /** Keys' cubic convolution kernel with parameter a (PIL: a = -0.5; torch's bicubic: a = -0.75). */
    public static double keys(double x, double a) {
        x = Math.abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
        return 0.0;
    }

    /** Resizes an RGB image to {@code outH x outW} (the same instance when the size is unchanged), bit-identical to PIL. */
    public static RgbImage resize(RgbImage in, int outH, int outW, Filter filter) {
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("resize target must be positive, got " + outH + "x" + outW);
        if (outH == in.height() && outW == in.width()) return in;
        return new RgbImage(outH, outW, resize(in.hwc(), in.height(), in.width(), 3, outH, outW, filter));
    }

    /** Fixed-point coefficients of one axis: bounds[2i] = first tap, bounds[2i+1] = tap count, k[i*ksize + j]. */
    private record Coeffs(int ksize, int[] bounds, int[] k) {}

    private static Coeffs coeffs(int inSize, int outSize, Filter f) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = f.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                w[x] = f.apply((x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk);
    }

    private static int clip8(int v) {
        int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }

    /**
     * Resizes an interleaved 8-bit image. src: h x w x channels bytes (row-major, HWC), returns outH x outW x channels.
     */
    public static byte[] resize(byte[] src, int h, int w, int channels, int outH, int outW, Filter filter) {
        if (h <= 0 || w <= 0 || outH <= 0 || outW <= 0 || channels <= 0)
            throw new IllegalArgumentException("resize: sizes must be positive (" + h + "x" + w + "x" + channels + " -> " + outH + "x" + outW + ")");
        if ((long) h * w * channels != src.length)
            throw new IllegalArgumentException("resize: " + src.length + " bytes is not " + h + "x" + w + "x" + channels);
        boolean needH = outW != w, needV = outH != h;
        if (!needH && !needV) return src.clone();
        Coeffs vert = coeffs(h, outH, filter);
        int yFirst = vert.bounds[0];
        int yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
        byte[] cur = src;
        int curW = w;
        int[] vb = vert.bounds.clone();
        if (needH) {
            // only the rows the vertical pass reads ([yFirst, yLast) = all rows when there is no vertical pass)
            for (int i = 0; i < outH; i++) vb[i * 2] -= yFirst;
            int rows = yLast - yFirst;
            Coeffs hor = coeffs(w, outW, filter);
            byte[] tmp = new byte[rows * outW * channels];
            for (int y = 0; y < rows; y++) {
                int inRow = (y + yFirst) * w * channels;
                int outRow = y * outW * channels;
                for (int xx = 0; xx < outW; xx++) {
                    int xmin = hor.bounds[xx * 2], xmax = hor.bounds[xx * 2 + 1], kOff = xx * hor.ksize;
                    for (int ch = 0; ch < channels; ch++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        for (int x = 0; x < xmax; x++) ss += (src[inRow + (x + xmin) * channels + ch] & 0xff) * hor.k[kOff + x];
                        tmp[outRow + xx * channels + ch] = (byte) clip8(ss);
                    }
                }
            }
            cur = tmp;
            curW = outW;
        }
        if (!needV) return cur;
        byte[] out = new byte[outH * curW * channels];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = vb[yy * 2], ymax = vb[yy * 2 + 1], kOff = yy * vert.ksize;
            for (int xx = 0; xx < curW; xx++) {
                for (int ch = 0; ch < channels; ch++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < ymax; y++) ss += (cur[((y + ymin) * curW + xx) * channels + ch] & 0xff) * vert.k[kOff + y];
                    out[(yy * curW + xx) * channels + ch] = (byte) clip8(ss);
                }
            }
        }
        return out;
    }
}
