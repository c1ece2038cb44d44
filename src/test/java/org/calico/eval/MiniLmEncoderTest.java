package org.calico.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.calico.eval.text.MiniLmEncoder;
import org.calico.eval.text.TextEncoder;
import org.junit.jupiter.api.Test;

/** all-MiniLM-L6-v2 against the cosines checked in data-and-metrics.md §6 (CaSED pooling in Python on the same ONNX). */
class MiniLmEncoderTest {
    static final TextEncoder E = new MiniLmEncoder();

    @Test
    void specCosines() {
        assertEquals(0.930340, E.similarity("chair leg", "leg of the chair"), 2e-6);
        assertEquals(0.915100, E.similarity("the leg of the chair", "chair leg"), 2e-6);
        assertEquals(0.414029, E.similarity("handle", "knob"), 2e-6);
        assertEquals(0.51491, E.similarity("dog head", "quadruped head"), 2e-5);
        assertEquals(0.33218, E.similarity("car wheel", "bicycle tier"), 2e-5);
        float[] w = E.embed("wheel");
        assertEquals(384, w.length);
        float[] exp = {-0.057248f, 0.015829f, -0.059551f, 0.021681f, -0.014919f};
        for (int i = 0; i < exp.length; i++) assertEquals(exp[i], w[i], 2e-6);
        assertEquals(1.0, E.similarity("the seat", "the seat"), 1e-6);
        assertEquals(0.0, E.similarity("", "the seat"));
    }
}
