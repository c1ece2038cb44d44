package org.calico.train;

/**
 * Learning rate per optimizer step: linear warm-up from 0 to {@code peak} over {@code warmup} steps, then linear decay
 * to {@code floor} at {@code total} steps (DeepSpeed's WarmupDecayLR, which LISA and GLaMM train with; its warm-up is
 * logarithmic by default -- {@code logWarmup} reproduces that: lr = peak * log(step+1)/log(warmup)).
 */
public record LrSchedule(double peak, long warmup, long total, double floor, boolean logWarmup) {
    public LrSchedule {
        if (peak <= 0 || warmup < 0 || total <= 0 || warmup > total)
            throw new IllegalArgumentException("invalid schedule: peak " + peak + ", warmup " + warmup + ", total " + total);
    }

    /** lr for step {@code s} (0-based: the first update uses s = 0). */
    public double at(long s) {
        if (warmup > 0 && s < warmup) {
            if (logWarmup) return peak * Math.log(s + 1) / Math.log(warmup);
            return peak * (s + 1) / warmup;
        }
        double frac = total == warmup ? 1 : Math.min(1.0, (double) (s - warmup) / (total - warmup));
        return floor + (peak - floor) * (1 - frac);
    }
}
