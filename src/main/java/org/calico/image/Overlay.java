package org.calico.image;

import java.util.List;

/**
 * Draws segmentation results over an image: each mask as a translucent colour with a solid outline, point prompts as
 * filled discs (green = foreground, red = background, grey = ignored) with a white rim, and an optional box.
 * Pure Java, returns a new image.
 */
public final class Overlay {
    /** Distinct mask colours (RGB), reused cyclically. */
    public static final int[][] PALETTE = {
        {30, 144, 255}, {255, 140, 0}, {186, 85, 211}, {0, 206, 209}, {255, 215, 0}, {220, 20, 60}, {50, 205, 50}, {255, 105, 180},
    };

    /** A point marker: pixel position and SAM label (1 foreground, 0 background, -1 ignored). */
    public record Marker(double x, double y, int label) {}

    private Overlay() {}

    /**
     * @param masks  row-major masks of the image's size, drawn in order with {@link #PALETTE} colours
     * @param alpha  mask opacity in [0, 1]
     * @param points prompt points (may be empty)
     * @param box    (x0, y0, x1, y1) or null
     */
    public static RgbImage render(RgbImage base, List<boolean[]> masks, double alpha, List<Marker> points, double[] box) {
        int h = base.height(), w = base.width();
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        byte[] px = base.hwc();
        for (int m = 0; m < masks.size(); m++) {
            boolean[] mask = masks.get(m);
            if (mask.length != (long) h * w)
                throw new IllegalArgumentException("mask " + m + " has " + mask.length + " pixels, the image " + h + "x" + w + " has " + (long) h * w);
            int[] c = PALETTE[m % PALETTE.length];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    if (!mask[i]) continue;
                    boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w];
                    for (int k = 0; k < 3; k++) {
                        int v = px[i * 3 + k] & 0xff;
                        px[i * 3 + k] = (byte) (edge ? c[k] : (int) Math.round(v * (1 - alpha) + c[k] * alpha));
                    }
                }
        }
        if (box != null) {
            int[] c = {255, 255, 0};
            int x0 = clamp((int) Math.round(box[0]), w), y0 = clamp((int) Math.round(box[1]), h);
            int x1 = clamp((int) Math.round(box[2]) - 1, w), y1 = clamp((int) Math.round(box[3]) - 1, h);
            int t = Math.max(1, Math.min(h, w) / 200);
            for (int d = 0; d < t; d++) {
                for (int x = x0; x <= x1; x++) {
                    set(px, w, h, x, y0 + d, c);
                    set(px, w, h, x, y1 - d, c);
                }
                for (int y = y0; y <= y1; y++) {
                    set(px, w, h, x0 + d, y, c);
                    set(px, w, h, x1 - d, y, c);
                }
            }
        }
        int r = Math.max(3, Math.min(h, w) / 80);
        for (Marker p : points) {
            int[] c = p.label() == 1 ? new int[] {0, 200, 0} : p.label() == 0 ? new int[] {220, 0, 0} : new int[] {128, 128, 128};
            int cx = (int) Math.floor(p.x()), cy = (int) Math.floor(p.y());
            for (int dy = -r - 1; dy <= r + 1; dy++)
                for (int dx = -r - 1; dx <= r + 1; dx++) {
                    int d2 = dx * dx + dy * dy;
                    if (d2 <= r * r) set(px, w, h, cx + dx, cy + dy, c);
                    else if (d2 <= (r + 1) * (r + 1)) set(px, w, h, cx + dx, cy + dy, new int[] {255, 255, 255});
                }
        }
        return new RgbImage(h, w, px);
    }

    private static int clamp(int v, int n) { return Math.max(0, Math.min(n - 1, v)); }

    private static void set(byte[] px, int w, int h, int x, int y, int[] c) {
        if (x < 0 || y < 0 || x >= w || y >= h) return;
        int i = (y * w + x) * 3;
        px[i] = (byte) c[0];
        px[i + 1] = (byte) c[1];
        px[i + 2] = (byte) c[2];
    }
}
