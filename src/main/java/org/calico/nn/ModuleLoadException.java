package org.calico.nn;

/** A checkpoint does not fit a module: carries the full {@link LoadReport}; the module was left untouched. */
public class ModuleLoadException extends RuntimeException {
    private final LoadReport report;

    public ModuleLoadException(LoadReport report) {
        super("checkpoint does not match the model, nothing was loaded:\n" + report.describe(20));
        this.report = report;
    }

    public LoadReport report() { return report; }
}
