package org.calico.mask;

import java.util.Arrays;

/**
 * A COCO run-length-encoded binary mask (pycocotools' {@code RLE}): {@code h x w} pixels flattened in column-major
 * (Fortran) order, pixel (y, x) -> index {@code y + h * x}; {@code counts} alternate runs of 0s and 1s, starting with
 * 0s (possibly a zero-length run). Immutable. Semantics follow pycocotools 2.0.11 ({@code common/maskApi.c}).
 */
public final class Rle {
    private final int h, w;
    private final long[] counts;

    public Rle(int h, int w, long[] counts) {
        if (h < 0 || w < 0) throw new IllegalArgumentException("RLE size must be non-negative, got " + h + "x" + w);
        long sum = 0;
        for (long c : counts) {
            if (c < 0) throw new IllegalArgumentException("RLE counts must be non-negative, got " + c);
            sum += c;
        }
        if (sum > (long) h * w)
            throw new IllegalArgumentException("Invalid RLE mask representation: counts sum to " + sum + " > h*w = " + (long) h * w);
        this.h = h;
        this.w = w;
        this.counts = counts.clone();
    }

    public int height() { return h; }

    public int width() { return w; }

    public long[] counts() { return counts.clone(); }

    public int runs() { return counts.length; }

    long count(int i) { return counts[i]; }

    /** Encodes a row-major mask {@code mask[y * w + x]} (the natural Java/numpy C layout). */
    public static Rle encode(boolean[] mask, int h, int w) {
        if (mask.length != (long) h * w) throw new IllegalArgumentException("mask has " + mask.length + " pixels, expected " + h + "x" + w);
        long[] cnts = new long[(int) Math.min((long) h * w + 1, Integer.MAX_VALUE - 8)];
        int m = 0;
        boolean cur = false;
        long run = 0;
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                boolean v = mask[y * w + x];
                if (v != cur) {
                    cnts[m++] = run;
                    run = 0;
                    cur = v;
                }
                run++;
            }
        }
        cnts[m++] = run;
        return new Rle(h, w, Arrays.copyOf(cnts, m));
    }

    /** Decodes to a row-major mask {@code mask[y * w + x]}. */
    public boolean[] decode() {
        boolean[] out = new boolean[h * w];
        long idx = 0;
        boolean v = false;
        for (long c : counts) {
            if (v) {
                for (long k = idx; k < idx + c; k++) {
                    int x = (int) (k / h), y = (int) (k % h);
                    out[y * w + x] = true;
                }
            }
            idx += c;
            v = !v;
        }
        return out;
    }

    /** Number of foreground pixels (sum of the odd runs). */
    public long area() {
        long a = 0;
        for (int i = 1; i < counts.length; i += 2) a += counts[i];
        return a;
    }

    /**
     * Bounding box {@code [x, y, width, height]} as pycocotools 2.0.11's fixed {@code rleToBbox}; all zeros for an
     * empty mask.
     */
    public double[] bbox() {
        if (h == 0 || w == 0) return new double[4];
        long xs = Long.MAX_VALUE, ys = Long.MAX_VALUE, xe = -1, ye = -1;
        long pos = 0;
        for (int j = 0; j < counts.length; j++) {
            long c = counts[j];
            if (j % 2 == 1 && c > 0) {
                long start = pos, end = pos + c; // [start, end)
                long xStart = start / h, xEnd = (end - 1) / h;
                xs = Math.min(xs, xStart);
                xe = Math.max(xe, xEnd);
                if (xStart != xEnd) {
                    ys = 0;
                    ye = h - 1;
                } else {
                    long y0 = start % h, y1 = (end - 1) % h;
                    ys = Math.min(ys, Math.min(y0, y1));
                    ye = Math.max(ye, Math.max(y0, y1));
                }
            }
            pos += c;
        }
        if (xe < 0) return new double[4];
        return new double[] {xs, ys, xe - xs + 1, ye - ys + 1};
    }

    /** Union ({@code intersect=false}) or intersection of two masks of the same size (empty if sizes differ). */
    public static Rle merge(Rle a, Rle b, boolean intersect) {
        if (a.h != b.h || a.w != b.w) return new Rle(0, 0, new long[0]);
        long n = (long) a.h * a.w;
        long[] out = new long[a.counts.length + b.counts.length + 2];
        int m = 0;
        int ia = 0, ib = 0;
        long ra = a.counts.length > 0 ? a.counts[0] : n, rb = b.counts.length > 0 ? b.counts[0] : n;
        boolean va = false, vb = false, v = false;
        long run = 0, done = 0;
        while (done < n) {
            long step = Math.min(ra, rb);
            if (step == 0) {
                // advance exhausted runs
                if (ra == 0) {
                    ia++;
                    va = ia < a.counts.length && !va;  // past the last run: background
                    ra = ia < a.counts.length ? a.counts[ia] : n - done;
                }
                if (rb == 0) {
                    ib++;
                    vb = ib < b.counts.length && !vb;
                    rb = ib < b.counts.length ? b.counts[ib] : n - done;
                }
                continue;
            }
            boolean nv = intersect ? (va && vb) : (va || vb);
            if (nv != v) {
                out[m++] = run;
                run = 0;
                v = nv;
            }
            run += step;
            ra -= step;
            rb -= step;
            done += step;
        }
        out[m++] = run;
        return new Rle(a.h, a.w, Arrays.copyOf(out, m));
    }

    /**
     * pycocotools' n-ary {@code merge(rles, intersect)}: no masks give a 0x0 mask, one mask is returned as is, masks
     * of different sizes give a 0x0 mask (as {@code rleMerge}).
     */
    public static Rle merge(java.util.List<Rle> rles, boolean intersect) {
        if (rles.isEmpty()) return new Rle(0, 0, new long[0]);
        Rle acc = rles.get(0);
        for (int i = 1; i < rles.size(); i++) {
            Rle b = rles.get(i);
            if (b.h != acc.h || b.w != acc.w) return new Rle(0, 0, new long[0]);
            acc = merge(acc, b, intersect);
        }
        return acc;
    }

    /** An all-background mask. */
    public static Rle empty(int h, int w) {
        return new Rle(h, w, new long[] {(long) h * w});
    }

    /**
     * Intersection-over-union as pycocotools' {@code rleIou}: 0 when the boxes do not overlap, then -1 if the sizes
     * differ (checked after the box test, as in C), crowd GT divides by area(dt), an empty intersection gives 0.
     */
    public static double iou(Rle dt, Rle gt, boolean gtIsCrowd) {
        double[] bd = dt.bbox(), bg = gt.bbox();
        double bi = bboxIntersection(bd, bg);
        if (bi <= 0) return 0;
        if (dt.h != gt.h || dt.w != gt.w) return -1;
        long inter = merge(dt, gt, true).area();
        long union = gtIsCrowd ? dt.area() : merge(dt, gt, false).area();
        if (inter == 0) union = 1;
        return (double) inter / union;
    }

    private static double bboxIntersection(double[] a, double[] b) {
        double w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
        double h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
        return w <= 0 || h <= 0 ? 0 : w * h;
    }

    /** pycocotools' compressed string ({@code rleToString}): LEB128-like, 6 bits per char, ASCII 48..111. */
    public String toCompressedString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < counts.length; i++) {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            boolean more = true;
            while (more) {
                long c = x & 0x1f;
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.append((char) (c + 48));
            }
        }
        return sb.toString();
    }

    /** Parses a compressed string ({@code rleFrString}); malformed input is an {@link IllegalArgumentException}. */
    public static Rle fromCompressedString(String s, int h, int w) {
        long[] cnts = new long[s.length()];
        int m = 0, p = 0;
        while (p < s.length()) {
            long x = 0;
            int k = 0;
            boolean more = true;
            while (more) {
                if (p >= s.length()) throw new IllegalArgumentException("malformed RLE string: ends inside a value at char " + p);
                int c = s.charAt(p) - 48;
                if (c < 0 || c > 63) throw new IllegalArgumentException("malformed RLE string: character '" + s.charAt(p) + "' at " + p + " is outside '0'..'o'");
                if (k >= 13) throw new IllegalArgumentException("malformed RLE string: value too long at char " + p);
                x |= (long) (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (m > 2) x += cnts[m - 2];
            cnts[m++] = x;
        }
        return new Rle(h, w, Arrays.copyOf(cnts, m));
    }

    @Override public boolean equals(Object o) {
        return o instanceof Rle r && r.h == h && r.w == w && Arrays.equals(r.counts, counts);
    }

    @Override public int hashCode() { return (h * 31 + w) * 31 + Arrays.hashCode(counts); }

    @Override public String toString() { return "Rle[" + h + "x" + w + ", area " + area() + "]"; }
}
