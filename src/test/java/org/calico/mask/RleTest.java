package org.calico.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** COCO RLE against the pycocotools 2.0.11 test vectors of data-and-metrics.md §5.9. */
class RleTest {
    static boolean[] rect(int h, int w, int y0, int y1, int x0, int x1) {
        boolean[] m = new boolean[h * w];
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * w + x] = true;
        return m;
    }

    @Test
    void smallMaskVector() {
        Rle r = Rle.encode(rect(4, 5, 1, 3, 1, 4), 4, 5);
        assertArrayEquals(new long[] {5, 2, 2, 2, 2, 2, 5}, r.counts());
        assertEquals("5220003", r.toCompressedString());
        assertEquals(6, r.area());
        assertArrayEquals(new double[] {1, 1, 3, 2}, r.bbox());
        assertArrayEquals(rect(4, 5, 1, 3, 1, 4), r.decode());
    }

    @Test
    void allOnesAndUncompressedVector() {
        assertEquals("09", Rle.encode(rect(3, 3, 0, 3, 0, 3), 3, 3).toCompressedString());
        Rle big = new Rle(1000, 1000, new long[] {5, 10, 20, 100000, 3, 899862});
        assertEquals("5:d0fdQ3_OfS]h0", big.toCompressedString());
        assertEquals(999872, big.area());
        assertEquals(big, Rle.fromCompressedString("5:d0fdQ3_OfS]h0", 1000, 1000));
    }

    @Test
    void iouVector() {
        Rle a = Rle.encode(rect(10, 10, 0, 4, 0, 4), 10, 10), b = Rle.encode(rect(10, 10, 2, 6, 2, 6), 10, 10);
        assertEquals(4.0 / 28.0, Rle.iou(a, b, false), 1e-12);
        assertEquals(0.25, Rle.iou(a, b, true), 1e-12);
        assertEquals(0.0, Rle.iou(a, Rle.encode(rect(10, 10, 6, 9, 6, 9), 10, 10), false));
        assertEquals(-1.0, Rle.iou(a, Rle.encode(rect(5, 5, 0, 1, 0, 1), 5, 5), false));
    }

    @Test
    void randomRoundTripsAndMergeAgreeWithPixels() {
        Random rnd = new Random(11);
        for (int t = 0; t < 200; t++) {
            int h = 1 + rnd.nextInt(17), w = 1 + rnd.nextInt(17);
            boolean[] a = new boolean[h * w], b = new boolean[h * w];
            double pa = rnd.nextDouble(), pb = rnd.nextDouble();
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextDouble() < pa;
                b[i] = rnd.nextDouble() < pb;
            }
            Rle ra = Rle.encode(a, h, w), rb = Rle.encode(b, h, w);
            assertArrayEquals(a, ra.decode());
            assertEquals(ra, Rle.fromCompressedString(ra.toCompressedString(), h, w));
            boolean[] or = new boolean[a.length], and = new boolean[a.length];
            long ca = 0;
            for (int i = 0; i < a.length; i++) {
                or[i] = a[i] || b[i];
                and[i] = a[i] && b[i];
                if (a[i]) ca++;
            }
            assertArrayEquals(or, Rle.merge(ra, rb, false).decode());
            assertArrayEquals(and, Rle.merge(ra, rb, true).decode());
            assertEquals(ca, ra.area());
        }
    }

    @Test
    void malformedInputIsRejectedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rle.fromCompressedString("5{", 4, 5));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rle.fromCompressedString("5P", 4, 5)); // ends inside a value
        assertThrows(IllegalArgumentException.class, () -> Rle.fromCompressedString("5@", 4, 5)); // negative run
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> new Rle(2, 2, new long[] {3, 3}));
        assertTrue(big.getMessage().contains("Invalid RLE"), big.getMessage());
    }
}
