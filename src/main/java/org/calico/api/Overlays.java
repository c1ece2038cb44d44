package org.calico.api;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

import org.calico.image.RgbImage;

/**
 * Renders a {@link CoSegmentation} onto its images: each mask as a translucent fill with an outline, coloured by its
 * correspondence group (the same colour in every image for one common part), and its label at the mask's top-left
 * corner. Masks are drawn largest first so small parts stay visible.
 */
public final class Overlays {
    private Overlays() {}

    /** A fixed, well-separated palette (Tableau 10 + extras). */
    private static final int[] PALETTE = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7,
            0x9c755f, 0xbab0ac, 0x1f77b4, 0x2ca02c};

    public static Color groupColor(int group) { return new Color(PALETTE[Math.floorMod(group, PALETTE.length)]); }

    /** One overlay per input image (index = image index), at the images' own size. */
    public static List<RgbImage> render(CoSegmentation result, List<RgbImage> images) { return render(result, images, 1); }

    /**
     * One overlay per input image, each pixel drawn as a {@code scale x scale} block (nearest neighbour), so that the
     * outlines and labels of small images stay legible; {@code scale = 1} keeps the images' size.
     */
    public static List<RgbImage> render(CoSegmentation result, List<RgbImage> images, int scale) {
        if (images.size() != result.imageCount())
            throw new IllegalArgumentException("result has " + result.imageCount() + " images, got " + images.size());
        List<RgbImage> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) out.add(render(images.get(i), result.segmentsOf(i), 0.45, scale));
        return out;
    }

    /** The integer scale that brings the shorter side to at least {@code minSide} pixels (1 when it already is). */
    public static int displayScale(int h, int w, int minSide) {
        return Math.max(1, (minSide + Math.min(h, w) - 1) / Math.min(h, w));
    }

    /** Draws {@code segments} (all of this image) over {@code image}; {@code alpha} is the fill opacity. */
    public static RgbImage render(RgbImage image, List<Segment> segments, double alpha) { return render(image, segments, alpha, 1); }

    /** {@link #render(RgbImage, List, double)} with every pixel drawn as a {@code scale x scale} block. */
    public static RgbImage render(RgbImage image, List<Segment> segments, double alpha, int scale) {
        if (scale < 1 || scale > 16) throw new IllegalArgumentException("overlay scale must be in 1..16, got " + scale);
        int h0 = image.height(), w0 = image.width();
        int h = h0 * scale, w = w0 * scale;
        byte[] px = upscale(image.hwc(), h0, w0, 3, scale);
        List<Segment> order = new ArrayList<>(segments);
        order.sort((a, b) -> Long.compare(b.area(), a.area()));
        for (Segment s : order) {
            if (s.mask().height() != h0 || s.mask().width() != w0)
                throw new IllegalArgumentException("mask of '" + s.label() + "' is " + s.mask().height() + "x" + s.mask().width()
                        + " but the image is " + h0 + "x" + w0);
            boolean[] m = upscale(s.mask().decode(), h0, w0, scale);
            Color c = groupColor(s.group());
            int[] rgb = {c.getRed(), c.getGreen(), c.getBlue()};
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (!m[y * w + x]) continue;
                    boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !m[y * w + x - 1] || !m[y * w + x + 1]
                            || !m[(y - 1) * w + x] || !m[(y + 1) * w + x];
                    double a = edge ? 1.0 : alpha;
                    int o = (y * w + x) * 3;
                    for (int ch = 0; ch < 3; ch++) px[o + ch] = (byte) Math.round((1 - a) * (px[o + ch] & 0xff) + a * rgb[ch]);
                }
            }
        }
        BufferedImage bi = new RgbImage(h, w, px).toBufferedImage();
        Graphics2D g = bi.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(9, Math.min(16, Math.min(h, w) / 14))));
        FontMetrics fm = g.getFontMetrics();
        for (Segment s : segments) {
            double[] bb = s.mask().bbox();
            if (bb[2] <= 0) continue;
            String text = s.label();
            int tx = (int) Math.min(bb[0] * scale, Math.max(0, w - fm.stringWidth(text) - 2));
            int ty = (int) Math.max(fm.getAscent(), bb[1] * scale);
            Color c = groupColor(s.group());
            g.setColor(new Color(0, 0, 0, 150));
            g.fillRect(tx, ty - fm.getAscent(), fm.stringWidth(text) + 4, fm.getHeight());
            g.setColor(c.brighter());
            g.setStroke(new BasicStroke(1f));
            g.drawString(text, tx + 2, ty - fm.getAscent() + fm.getAscent());
        }
        g.dispose();
        return RgbImage.fromBufferedImage(bi);
    }

    private static byte[] upscale(byte[] hwc, int h, int w, int c, int s) {
        if (s == 1) return hwc.clone();
        byte[] out = new byte[h * s * w * s * c];
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++) System.arraycopy(hwc, ((y / s) * w + x / s) * c, out, (y * w * s + x) * c, c);
        return out;
    }

    private static boolean[] upscale(boolean[] m, int h, int w, int s) {
        if (s == 1) return m;
        boolean[] out = new boolean[h * s * w * s];
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++) out[y * w * s + x] = m[(y / s) * w + x / s];
        return out;
    }
}
