package org.calico.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** Binary masks as 8-bit greyscale PNGs (0 = background, 255 = mask), row-major {@code mask[y * width + x]}. */
public final class MaskPng {
    private MaskPng() {}

    public static void write(Path path, boolean[] mask, int height, int width) {
        if (mask.length != (long) height * width)
            throw new IllegalArgumentException("mask has " + mask.length + " pixels, " + height + "x" + width + " needs " + (long) height * width);
        BufferedImage bi = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < mask.length; i++) px[i] = mask[i] ? (byte) 255 : 0;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            if (!ImageIO.write(bi, "png", path.toFile())) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads a mask PNG: any pixel whose (first-channel) value is above 127 is in the mask. */
    public static boolean[] read(Path path) {
        RgbImage img = RgbImage.read(path);
        boolean[] m = new boolean[img.height() * img.width()];
        for (int y = 0; y < img.height(); y++)
            for (int x = 0; x < img.width(); x++) m[y * img.width() + x] = img.get(y, x, 0) > 127;
        return m;
    }
}
