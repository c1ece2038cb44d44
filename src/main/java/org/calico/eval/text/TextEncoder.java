package org.calico.eval.text;

/** A sentence encoder for the text metrics. Implementations are thread-safe. */
public interface TextEncoder {
    /** The embedding of {@code text}. */
    float[] embed(String text);

    /** A short name for reports ("all-MiniLM-L6-v2"). */
    String name();

    /**
     * {@code torch.nn.functional.cosine_similarity} as CaSED uses it: {@code a.b / max(|a| |b|, 1e-8)}; 0 when either
     * text is blank (an empty predicted phrase).
     */
    default double similarity(String a, String b) {
        if (a == null || b == null || a.isBlank() || b.isBlank()) return 0;
        return cosine(embed(a), embed(b));
    }

    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-8);
    }
}
