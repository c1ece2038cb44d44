package org.calico.image;

/**
 * Bit-exact re-implementation of Pillow's {@code Image.resize(size, Image.BILINEAR)} on 8-bit images
 * ({@code src/libImaging/Resample.c}, unchanged in this respect from Pillow 9.4 to 12.x), which is what SAM's
 * {@code ResizeLongestSide.apply_image} runs through torchvision's PIL path.
 *
 * <p>Per axis ({@code precompute_coeffs}): {@code scale = in / out}, {@code filterscale = max(scale, 1)},
 * {@code support = 1.0 * filterscale} (the triangle filter widens when downscaling, i.e. antialiasing);
 * for output index xx: {@code center = (xx + 0.5) * scale}, taps {@code xmin = (int)(center - support + 0.5)} (>= 0)
 * to {@code (int)(center + support + 0.5)} (<= in), weights {@code tri((x + xmin - center + 0.5) / filterscale)}
 * normalised to sum 1, then converted to fixed point with 22 fractional bits rounding half away from zero
 * ({@code normalize_coeffs_8bpc}). Each output sample is {@code clip8((2^21 + sum in[x] * k[x]) >> 22)}.
 * The horizontal pass runs first (only if the width changes) and is rounded to 8 bits, then the vertical pass (only if
 * the height changes). Channels are independent.
 */
public final class PilResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {}

    /** Bilinear resize of an RGB image to {@code outH x outW}, bit-identical to PIL. */
    public static RgbImage bilinear(RgbImage in, int outH, int outW) {
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("resize target must be positive, got " + outH + "x" + outW);
        if (outH == in.height() && outW == in.width()) return in;
        return new RgbImage(outH, outW, bilinear(in.hwc(), in.height(), in.width(), 3, outH, outW));
    }

    /** Bilinear resize of interleaved 8-bit pixels {@code hwc[(y * w + x) * channels + c]}. */
    public static byte[] bilinear(byte[] hwc, int h, int w, int channels, int outH, int outW) {
        if ((long) h * w * channels != hwc.length)
            throw new IllegalArgumentException("pixel buffer has " + hwc.length + " bytes, " + h + "x" + w + "x" + channels + " needs " + (long) h * w * channels);
        Coeffs vert = coeffs(h, outH);
        byte[] cur = hwc;
        int curW = w;
        int rowFirst = 0;
        if (outW != w) {
            // only the source rows the vertical pass reads ([ybox_first, ybox_last)), as Pillow
            int yFirst = outH != h ? vert.min[0] : 0;
            int yLast = outH != h ? vert.min[outH - 1] + vert.len[outH - 1] : h;
            Coeffs hor = coeffs(w, outW);
            byte[] tmp = new byte[(yLast - yFirst) * outW * channels];
            for (int y = yFirst; y < yLast; y++) {
                int inRow = y * w * channels, outRow = (y - yFirst) * outW * channels;
                for (int xx = 0; xx < outW; xx++) {
                    int xmin = hor.min[xx], n = hor.len[xx], kOff = xx * hor.ksize;
                    for (int c = 0; c < channels; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        for (int x = 0; x < n; x++) ss += (hwc[inRow + (x + xmin) * channels + c] & 0xff) * hor.k[kOff + x];
                        tmp[outRow + xx * channels + c] = clip8(ss);
                    }
                }
            }
            cur = tmp;
            curW = outW;
            rowFirst = yFirst;
        }
        if (outH == h) return cur == hwc ? hwc.clone() : cur;
        byte[] out = new byte[outH * curW * channels];
        int rowLen = curW * channels;
        for (int yy = 0; yy < outH; yy++) {
            int ymin = vert.min[yy] - rowFirst, n = vert.len[yy], kOff = yy * vert.ksize;
            int outRow = yy * rowLen;
            for (int i = 0; i < rowLen; i++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < n; y++) ss += (cur[(y + ymin) * rowLen + i] & 0xff) * vert.k[kOff + y];
                out[outRow + i] = clip8(ss);
            }
        }
        return out;
    }

    private static byte clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Fixed-point filter taps for one axis: for output i, {@code len[i]} taps from input {@code min[i]}. */
    private record Coeffs(int ksize, int[] min, int[] len, int[] k) {}

    private static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) ((float) inSize - 0.0f) / outSize;   // (double)(in1 - in0) / outSize with float box
        double filterscale = Math.max(scale, 1.0);
        double support = 1.0 * filterscale;                           // bilinear support 1.0
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] min = new int[outSize], len = new int[outSize], k = new int[outSize * ksize];
        double inv = 1.0 / filterscale;
        double[] w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = 0.0 + (xx + 0.5) * scale;
            double ww = 0.0;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double t = Math.abs((x + xmin - center + 0.5) * inv);
                double v = t < 1.0 ? 1.0 - t : 0.0;
                w[x] = v;
                ww += v;
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                k[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            min[xx] = xmin;
            len[xx] = xmax;
        }
        return new Coeffs(ksize, min, len, k);
    }
}
