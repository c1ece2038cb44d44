package org.calico.mask;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The three COCO {@code segmentation} forms ({@code coco.py:annToRLE}, {@code _mask.pyx:frPyObjects}) to {@link Rle}:
 * <ul>
 *   <li>a list of polygons {@code [[x1, y1, ...], ...]}: rasterised with {@link Polygons#frPoly} and merged (union);</li>
 *   <li>uncompressed RLE {@code {"size": [h, w], "counts": [n0, n1, ...]}};</li>
 *   <li>compressed RLE {@code {"size": [h, w], "counts": "..."}}.</li>
 * </ul>
 * Polygons use the image size; RLEs carry their own size.
 */
public final class CocoSegmentation {
    private CocoSegmentation() {}

    /** How polygons with fewer than 3 points (or odd/non-finite coordinates) are treated. */
    public enum PolygonPolicy {
        /** Every polygon must be valid ({@link Polygons#validate}); otherwise an IllegalArgumentException. */
        STRICT,
        /** Invalid polygons are skipped; if none is left the result is {@code null}. */
        DROP_DEGENERATE,
        /**
         * pycocotools 2.0.11's routing: a first polygon of exactly 4 coordinates is a box and raises (as
         * {@code frBbox} on a list does), fewer than 4 is "input type is not supported", otherwise every polygon is
         * rasterised with {@code k = len / 2} points (an error if a polygon has fewer than 2 coordinates).
         */
        PYCOCOTOOLS
    }

    /**
     * Converts one {@code segmentation} value.
     *
     * @return the mask, or {@code null} only with {@link PolygonPolicy#DROP_DEGENERATE} when no valid polygon is left
     * @throws IllegalArgumentException naming the problem (malformed RLE, degenerate polygon, unknown form)
     */
    public static Rle toRle(JsonNode seg, int imageHeight, int imageWidth, PolygonPolicy policy) {
        if (seg == null || seg.isNull() || seg.isMissingNode()) throw new IllegalArgumentException("segmentation is missing");
        if (seg.isArray()) return fromPolygonList(seg, imageHeight, imageWidth, policy);
        if (seg.isObject()) {
            JsonNode size = seg.get("size"), counts = seg.get("counts");
            if (size == null || counts == null) throw new IllegalArgumentException("RLE segmentation needs 'size' and 'counts', got keys " + fieldNames(seg));
            if (!size.isArray() || size.size() != 2 || !size.get(0).canConvertToInt() || !size.get(1).canConvertToInt())
                throw new IllegalArgumentException("RLE 'size' must be [height, width], got " + size);
            int h = size.get(0).asInt(), w = size.get(1).asInt();
            if (h < 0 || w < 0) throw new IllegalArgumentException("RLE 'size' must be non-negative, got " + size);
            if (counts.isTextual()) return Rle.fromCompressedString(counts.asText(), h, w);
            if (counts.isArray()) {
                long[] c = new long[counts.size()];
                for (int i = 0; i < c.length; i++) {
                    JsonNode n = counts.get(i);
                    if (!n.isIntegralNumber() || n.asLong() < 0)
                        throw new IllegalArgumentException("uncompressed RLE 'counts' must be non-negative integers, got " + n + " at index " + i);
                    c[i] = n.asLong();
                }
                return new Rle(h, w, c);
            }
            throw new IllegalArgumentException("RLE 'counts' must be a string (compressed) or a list (uncompressed), got " + counts.getNodeType());
        }
        throw new IllegalArgumentException("segmentation must be a polygon list or an RLE object, got " + seg.getNodeType());
    }

    private static Rle fromPolygonList(JsonNode seg, int h, int w, PolygonPolicy policy) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("polygon segmentation needs the image size, got " + h + "x" + w);
        if (seg.size() == 0) {
            if (policy == PolygonPolicy.DROP_DEGENERATE) return null;
            throw new IllegalArgumentException("segmentation is an empty polygon list");
        }
        List<double[]> polys = new ArrayList<>(seg.size());
        for (int i = 0; i < seg.size(); i++) {
            JsonNode p = seg.get(i);
            if (!p.isArray()) throw new IllegalArgumentException("polygon #" + i + " must be a list of numbers, got " + p.getNodeType());
            double[] xy = new double[p.size()];
            for (int j = 0; j < xy.length; j++) {
                if (!p.get(j).isNumber()) throw new IllegalArgumentException("polygon #" + i + " coordinate " + j + " is not a number: " + p.get(j));
                xy[j] = p.get(j).asDouble();
            }
            polys.add(xy);
        }
        switch (policy) {
            case STRICT:
                return Polygons.fromPolygons(polys, h, w);
            case DROP_DEGENERATE: {
                List<Rle> rles = new ArrayList<>();
                for (double[] xy : polys) if (Polygons.isValid(xy)) rles.add(Polygons.frPoly(xy, h, w));
                return rles.isEmpty() ? null : Rle.merge(rles, false);
            }
            default: {
                int first = polys.get(0).length;
                if (first == 4)
                    throw new IllegalArgumentException("polygon #0 has 4 coordinates: pycocotools 2.0.11 reads it as a box and raises TypeError");
                if (first < 4)
                    throw new IllegalArgumentException("polygon #0 has " + first + " coordinates: pycocotools raises 'input type is not supported'");
                List<Rle> rles = new ArrayList<>();
                for (int i = 0; i < polys.size(); i++) {
                    if (polys.get(i).length < 2) throw new IllegalArgumentException("polygon #" + i + " has " + polys.get(i).length + " coordinates (no point)");
                    rles.add(Polygons.frPoly(polys.get(i), h, w));
                }
                return Rle.merge(rles, false);
            }
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
