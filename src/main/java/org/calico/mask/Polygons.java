package org.calico.mask;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Polygon and box rasterisation into COCO RLE, bit-identical to pycocotools 2.0.11 ({@code common/maskApi.c}
 * {@code rleFrPoly}, {@code rleFrBbox}; {@code coco.py:annToRLE} for multi-polygon objects).
 *
 * <p>Polygons are flat coordinate arrays {@code [x1, y1, x2, y2, ...]} in pixel units, read against pixel centres (a
 * square with corners at 2 and 6 covers pixels 2..5).
 */
public final class Polygons {
    private Polygons() {}

    /** Upsampling factor of {@code rleFrPoly}. */
    private static final double SCALE = 5;

    /**
     * {@code rleFrPoly(xy, k = xy.length / 2, h, w)}, the raw pycocotools routine: no validation beyond "at least one
     * point" (pycocotools would read out of bounds for zero points). Use {@link #fromPolygons} for dataset input.
     *
     * @param xy {@code [x1, y1, ..., xk, yk]} (an odd trailing coordinate is ignored, as pycocotools does)
     */
    public static Rle frPoly(double[] xy, int h, int w) {
        int k = xy.length / 2;
        if (k < 1) throw new IllegalArgumentException("polygon needs at least one point, got " + xy.length + " coordinates");
        int[] x = new int[k + 1], y = new int[k + 1];
        for (int j = 0; j < k; j++) x[j] = (int) (SCALE * xy[j * 2] + .5);
        x[k] = x[0];
        for (int j = 0; j < k; j++) y[j] = (int) (SCALE * xy[j * 2 + 1] + .5);
        y[k] = y[0];
        long mTotal = 0;
        for (int j = 0; j < k; j++) mTotal += Math.max(Math.abs((long) x[j] - x[j + 1]), Math.abs((long) y[j] - y[j + 1])) + 1;
        if (mTotal > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("polygon too large to rasterise (" + mTotal + " boundary points); coordinates out of range?");
        int m = 0;
        int[] u = new int[(int) mTotal], v = new int[(int) mTotal];
        for (int j = 0; j < k; j++) {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
            boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) {
                int t = xs; xs = xe; xe = t;
                t = ys; ys = ye; ye = t;
            }
            // zero-length edge: 0/0.0 = NaN as in C; (int) NaN is 0 in Java (INT_MIN in C), never read (see spec 5.5)
            double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
            if (dx >= dy) {
                for (int d = 0; d <= dx; d++) {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int) (ys + s * t + .5);
                    m++;
                }
            } else {
                for (int d = 0; d <= dy; d++) {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int) (xs + s * t + .5);
                    m++;
                }
            }
        }
        // points along the y-boundary, downsampled
        int kk = m;
        long[] a = new long[kk + 1];
        int na = 0;
        for (int j = 1; j < kk; j++) {
            if (u[j] == u[j - 1]) continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / SCALE - .5;
            if (Math.floor(xd) != xd || xd < 0 || xd > w - 1) continue;
            double yd = Math.min(v[j], v[j - 1]);
            yd = (yd + .5) / SCALE - .5;
            if (yd < 0) yd = 0;
            else if (yd > h) yd = h;
            yd = Math.ceil(yd);
            a[na++] = ((long) ((int) xd * h + (int) yd)) & 0xffffffffL; // (uint) as in C
        }
        a[na++] = ((long) h * w) & 0xffffffffL;
        Arrays.sort(a, 0, na); // unsigned order: values are already in [0, 2^32)
        long p = 0;
        for (int j = 0; j < na; j++) {
            long t = a[j];
            a[j] = (a[j] - p) & 0xffffffffL;
            p = t;
        }
        long[] b = new long[na];
        int nb = 0, j = 0;
        b[nb++] = a[j++];
        while (j < na) {
            if (a[j] > 0) b[nb++] = a[j++];
            else {
                j++;
                if (j < na) b[nb - 1] += a[j++];
            }
        }
        return new Rle(h, w, Arrays.copyOf(b, nb));
    }

    /** {@code rleFrBbox}: the box {@code [x, y, width, height]} rasterised as the polygon (xs,ys),(xs,ye),(xe,ye),(xe,ys). */
    public static Rle frBbox(double[] bb, int h, int w) {
        if (bb.length != 4) throw new IllegalArgumentException("bbox must be [x, y, width, height], got " + bb.length + " values");
        double xs = bb[0], xe = xs + bb[2], ys = bb[1], ye = ys + bb[3];
        return frPoly(new double[] {xs, ys, xs, ye, xe, ye, xe, ys}, h, w);
    }

    /**
     * Checks one polygon of a dataset annotation: an even number (&ge; 6) of finite coordinates.
     *
     * @throws IllegalArgumentException naming the polygon and the problem
     */
    public static void validate(double[] xy, int index) {
        if (xy.length < 6)
            throw new IllegalArgumentException("degenerate polygon #" + index + ": " + xy.length
                    + " coordinates, a polygon needs at least 3 points (6 coordinates)");
        if (xy.length % 2 != 0)
            throw new IllegalArgumentException("malformed polygon #" + index + ": odd number of coordinates (" + xy.length + ")");
        for (int i = 0; i < xy.length; i++)
            if (!Double.isFinite(xy[i]))
                throw new IllegalArgumentException("malformed polygon #" + index + ": coordinate " + i + " is " + xy[i]);
    }

    /** True when {@link #validate} would accept the polygon. */
    public static boolean isValid(double[] xy) {
        if (xy.length < 6 || xy.length % 2 != 0) return false;
        for (double d : xy) if (!Double.isFinite(d)) return false;
        return true;
    }

    /**
     * A multi-polygon object as {@code coco.py:annToRLE}: each polygon through {@link #frPoly}, then the union
     * ({@code rleMerge(intersect=0)}). Every polygon is validated first ({@link #validate}).
     */
    public static Rle fromPolygons(List<double[]> polygons, int h, int w) {
        if (polygons.isEmpty()) throw new IllegalArgumentException("polygon segmentation is an empty list");
        List<Rle> rles = new ArrayList<>(polygons.size());
        for (int i = 0; i < polygons.size(); i++) {
            validate(polygons.get(i), i);
            rles.add(frPoly(polygons.get(i), h, w));
        }
        return Rle.merge(rles, false);
    }
}
