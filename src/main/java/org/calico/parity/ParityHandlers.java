package org.calico.parity;

import java.util.ArrayList;
import java.util.List;

/**
 * The registry of parity handlers: one line per model family. A case whose module no handler claims is reported
 * UNSUPPORTED (which fails the gate).
 */
public final class ParityHandlers {
    private ParityHandlers() {}

    public static List<ParityHandler> all() {
        List<ParityHandler> hs = new ArrayList<>();
        // model families register here, e.g. hs.add(new org.calico.sam.SamParity());
        hs.add(new org.calico.llm.LlamaParity());
        hs.add(new org.calico.vision.VisionParity());
        return hs;
    }
}
