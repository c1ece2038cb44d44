package org.calico.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where each image's tokens sit in the LLM sequence: per batch row, one (start, length) span per image, in image
 * order (image i of row b is {@code fusedFeatures[b, i]}). Immutable.
 */
public final class ImageSpans {
    /** A token span [start, start + length). */
    public record Span(long start, long length) {
        public Span {
            if (start < 0 || length <= 0) throw new IllegalArgumentException("image span needs start >= 0 and length > 0, got (" + start + ", " + length + ")");
        }

        public long end() { return start + length; }
    }

    private final List<List<Span>> rows;

    private ImageSpans(List<List<Span>> rows) {
        List<List<Span>> copy = new ArrayList<>();
        for (List<Span> r : rows) copy.add(List.copyOf(r));
        this.rows = List.copyOf(copy);
    }

    /** Spans from {@code rows[b] = {start0, len0, start1, len1, ...}}. */
    public static ImageSpans of(long[]... rows) {
        List<List<Span>> out = new ArrayList<>();
        for (long[] r : rows) {
            if (r.length % 2 != 0) throw new IllegalArgumentException("a span row needs (start, length) pairs, got " + Arrays.toString(r));
            List<Span> row = new ArrayList<>();
            for (int i = 0; i < r.length; i += 2) row.add(new Span(r[i], r[i + 1]));
            out.add(row);
        }
        return new ImageSpans(out);
    }

    public static ImageSpans ofRows(List<List<Span>> rows) { return new ImageSpans(rows); }

    /** The same {@code nImages} spans of {@code length} tokens starting at {@code starts} in every one of {@code batch} rows. */
    public static ImageSpans uniform(int batch, long length, long... starts) {
        List<List<Span>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            List<Span> row = new ArrayList<>();
            for (long s : starts) row.add(new Span(s, length));
            out.add(row);
        }
        return new ImageSpans(out);
    }

    public int rows() { return rows.size(); }

    public List<Span> row(int b) { return rows.get(b); }

    /** Spans of row {@code b} only (as a one-row ImageSpans). */
    public ImageSpans select(int b) { return new ImageSpans(List.of(rows.get(b))); }

    public int totalImages() {
        int n = 0;
        for (List<Span> r : rows) n += r.size();
        return n;
    }

    @Override public String toString() { return "ImageSpans" + rows; }
}
