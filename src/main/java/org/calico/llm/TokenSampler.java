package org.calico.llm;

import java.util.Arrays;

/**
 * Token choice from one row of logits, in double precision in Java (see {@link GenerationConfig} for the rules).
 * The random stream is SplitMix64 (Steele, Lea, Flood 2014), so a seed gives the same draws on every JVM.
 */
public final class TokenSampler {
    private long state;

    public TokenSampler(long seed) { this.state = seed; }

    /** Next uniform double in [0, 1) (53 random bits). */
    public double nextDouble() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    /** Index of the largest logit, lowest index on ties; NaN logits are never chosen. */
    public static int argmax(float[] logits) {
        int best = -1;
        float bv = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > bv || (best < 0 && logits[i] == bv)) {
                bv = logits[i];
                best = i;
            }
        }
        if (best < 0) throw new IllegalStateException("no finite logit to choose from (all NaN?)");
        return best;
    }

    /** Chooses a token from {@code logits} under {@code cfg}. */
    public int choose(float[] logits, GenerationConfig cfg) {
        if (cfg.greedy()) return argmax(logits);
        return sample(filteredProbs(logits, cfg.temperature(), cfg.topK(), cfg.topP()));
    }

    /** The renormalised sampling distribution after temperature, top-k and top-p (HF warper order). */
    public static double[] filteredProbs(float[] logits, double temperature, int topK, double topP) {
        int v = logits.length;
        double[] s = new double[v];
        for (int i = 0; i < v; i++) s[i] = Float.isNaN(logits[i]) ? Double.NEGATIVE_INFINITY : logits[i] / temperature;
        if (topK > 0 && topK < v) {
            double[] sorted = s.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - topK];
            for (int i = 0; i < v; i++) if (s[i] < kth) s[i] = Double.NEGATIVE_INFINITY;
        }
        if (topP < 1) {
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b])); // ascending, stable
            double[] p = softmax(s);
            double cum = 0;
            for (int r = 0; r < v - 1; r++) { // the most likely token (last) is always kept
                cum += p[order[r]];
                if (cum <= 1 - topP) s[order[r]] = Double.NEGATIVE_INFINITY;
            }
        }
        return softmax(s);
    }

    private static double[] softmax(double[] s) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : s) m = Math.max(m, x);
        if (m == Double.NEGATIVE_INFINITY) throw new IllegalStateException("every token was filtered out");
        double[] p = new double[s.length];
        double z = 0;
        for (int i = 0; i < s.length; i++) {
            p[i] = s[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[i] - m);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= z;
        return p;
    }

    private int sample(double[] p) {
        double u = nextDouble(), cum = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] <= 0) continue;
            cum += p[i];
            last = i;
            if (u < cum) return i;
        }
        return last; // rounding: u beyond the accumulated mass
    }
}
