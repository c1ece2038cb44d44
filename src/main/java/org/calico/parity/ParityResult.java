package org.calico.parity;

import java.util.Locale;

/** Outcome of one case: status, the worst absolute error over all outputs, and a detail for failures. */
public record ParityResult(String name, Status status, double maxAbsErr, double atol, double rtol, String detail, double seconds) {
    public enum Status { PASS, FAIL, UNSUPPORTED }

    public String line() {
        String err = Double.isNaN(maxAbsErr) ? "-" : String.format(Locale.ROOT, "%.3e", maxAbsErr);
        return String.format(Locale.ROOT, "%-11s %-36s max_abs_err=%-10s atol=%.0e rtol=%.0e%s", status, name, err, atol, rtol,
                detail.isEmpty() ? "" : "  " + detail);
    }
}
