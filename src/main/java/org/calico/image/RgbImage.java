package org.calico.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.imageio.ImageIO;

/**
 * An immutable 8-bit RGB image in HWC order ({@code pixels[(y * width + x) * 3 + c]}), the layout upstream code gets
 * from {@code np.asarray(PIL.Image.open(f).convert("RGB"))}.
 */
public final class RgbImage {
    private final int height, width;
    private final byte[] hwc;
    private volatile String digest;

    public RgbImage(int height, int width, byte[] hwc) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        if (hwc.length != (long) height * width * 3)
            throw new IllegalArgumentException("RGB buffer has " + hwc.length + " bytes, " + height + "x" + width + "x3 needs " + (long) height * width * 3);
        this.height = height;
        this.width = width;
        this.hwc = hwc.clone();
    }

    public int height() { return height; }

    public int width() { return width; }

    /** A copy of the HWC bytes. */
    public byte[] hwc() { return hwc.clone(); }

    /** Unsigned value of channel c at (y, x). */
    public int get(int y, int x, int c) { return hwc[(y * width + x) * 3 + c] & 0xff; }

    /** Reads PNG/JPEG/BMP/GIF (first frame) as RGB; alpha is dropped, grey is expanded. */
    public static RgbImage read(Path path) {
        BufferedImage bi;
        try (InputStream in = Files.newInputStream(path)) {
            bi = ImageIO.read(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("image not found: " + path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read image " + path + ": " + e.getMessage(), e);
        }
        if (bi == null) throw new IllegalArgumentException("not a readable image (PNG, JPEG, BMP, GIF): " + path);
        return fromBufferedImage(bi);
    }

    public static RgbImage fromBufferedImage(BufferedImage bi) {
        int h = bi.getHeight(), w = bi.getWidth();
        byte[] out = new byte[h * w * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            bi.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], o = (y * w + x) * 3;
                out[o] = (byte) (p >> 16);
                out[o + 1] = (byte) (p >> 8);
                out[o + 2] = (byte) p;
            }
        }
        return new RgbImage(h, w, out);
    }

    public BufferedImage toBufferedImage() {
        BufferedImage bi = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                row[x] = ((hwc[o] & 0xff) << 16) | ((hwc[o + 1] & 0xff) << 8) | (hwc[o + 2] & 0xff);
            }
            bi.setRGB(0, y, width, 1, row, 0, width);
        }
        return bi;
    }

    /** Writes a PNG (parent folders are created). */
    public void writePng(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            if (!ImageIO.write(toBufferedImage(), "png", path.toFile())) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of size + pixels: a content key for embedding caches. */
    public String contentDigest() {
        String d = digest;
        if (d == null) {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update((height + "x" + width + ":").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                md.update(hwc);
                d = HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            digest = d;
        }
        return d;
    }

    @Override public String toString() { return "RgbImage[" + height + "x" + width + "]"; }
}
