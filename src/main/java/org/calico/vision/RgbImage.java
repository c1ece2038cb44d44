package org.calico.vision;

/**
 * An 8-bit RGB image, interleaved HWC, row-major ({@code data[(y * width + x) * 3 + c]}). The array is not copied;
 * do not modify it while it is in use.
 */
public record RgbImage(byte[] data, int height, int width) {
    public RgbImage {
        if (data == null) throw new IllegalArgumentException("image data is null");
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        if ((long) height * width * 3 != data.length)
            throw new IllegalArgumentException("image data has " + data.length + " bytes, " + height + "x" + width + " RGB needs " + (long) height * width * 3);
    }
}
