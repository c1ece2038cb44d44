package org.calico.nn;

import java.util.List;

/**
 * Outcome of matching a checkpoint against a module: which module keys the checkpoint lacks, which checkpoint keys
 * the module does not use, and which shapes differ. {@link #ok()} when nothing is missing or mismatched (unexpected
 * keys are allowed only where the caller says so).
 */
public record LoadReport(String source, List<String> loaded, List<String> missing, List<String> unexpected,
                         List<String> shapeMismatches, List<String> ignored, List<String> defaulted) {
    public LoadReport {
        loaded = List.copyOf(loaded);
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
        shapeMismatches = List.copyOf(shapeMismatches);
        ignored = List.copyOf(ignored);
        defaulted = List.copyOf(defaulted);
    }

    public boolean ok(boolean allowUnexpected) {
        return missing.isEmpty() && shapeMismatches.isEmpty() && (allowUnexpected || unexpected.isEmpty());
    }

    /** Multi-line human report, at most {@code limit} names per list. */
    public String describe(int limit) {
        StringBuilder sb = new StringBuilder();
        sb.append(source).append(": loaded ").append(loaded.size()).append(" tensors");
        section(sb, "missing from the checkpoint", missing, limit);
        section(sb, "shape mismatches", shapeMismatches, limit);
        section(sb, "unexpected checkpoint keys", unexpected, limit);
        section(sb, "optional, absent, kept at initialisation", defaulted, limit);
        if (!ignored.isEmpty()) sb.append("\n  checkpoint keys ignored by the mapping: ").append(ignored.size());
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> names, int limit) {
        if (names.isEmpty()) return;
        sb.append("\n  ").append(title).append(" (").append(names.size()).append("):");
        for (int i = 0; i < Math.min(limit, names.size()); i++) sb.append("\n    ").append(names.get(i));
        if (names.size() > limit) sb.append("\n    ... ").append(names.size() - limit).append(" more");
    }

    @Override public String toString() { return describe(20); }
}
