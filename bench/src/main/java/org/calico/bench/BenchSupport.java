package org.calico.bench;

import org.calico.runtime.CalicoRuntime;

/** Shared set-up for the JMH benchmarks: native runtime start and thread count (-Dcalico.threads). */
public final class BenchSupport {
    private BenchSupport() {}

    public static void init() {
        CalicoRuntime.init();
    }
}
