package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.io.SafeTensorsFile;
import org.calico.parity.ParityCase;
import org.calico.parity.ParityResult;
import org.calico.parity.ParityRunner;
import org.calico.tensor.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The five upstream vision fixtures pass, and the optional debug tensors match too (to localise regressions). */
class VisionParityTest {
    static Path caseDir(String name) {
        Path d = TestSupport.parityCase(name);
        Assumptions.assumeTrue(d != null && d.toFile().isDirectory(), "parity fixtures not present");
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dinov2_vit", "hf_dinov2reg", "hf_blip2_vision", "hf_blip2_qformer", "hf_blip2_qformer_with_projection"})
    void casePassesWithDebugTensors(String name) {
        Path dir = caseDir(name);
        ParityResult r = new ParityRunner(List.of(new VisionParity())).run(dir);
        assertEquals(ParityResult.Status.PASS, r.status(), r.line());
        assertTrue(r.maxAbsErr() < 1e-5, r.line());
        // debug tensors the handler also produces
        ParityCase c = ParityCase.read(dir);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io())) {
            Map<String, Tensor> got = new VisionParity().run(c, w, io);
            int compared = 0;
            for (String k : io.names()) {
                if (!k.startsWith("debug.") || !got.containsKey(k)) continue;
                double err = T.maxAbsDiff(got.get(k), io.load(k));
                // the interpolated position embedding is reproduced to float rounding
                assertTrue(err < (k.contains("pos_embed") ? 1e-6 : 1e-5), name + " " + k + ": " + err);
                compared++;
            }
            int expected = switch (name) {
                case "dinov2_vit" -> 2;
                case "hf_dinov2reg" -> 1;
                case "hf_blip2_qformer" -> 5;
                default -> 0;
            };
            assertEquals(expected, compared, "debug tensors compared for " + name);
        }
    }
}
