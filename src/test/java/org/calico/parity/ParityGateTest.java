package org.calico.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.calico.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The project's fidelity gate over ../shared/parity: what passed once keeps passing; nothing ever FAILs. */
class ParityGateTest {
    static Set<String> mustPass() throws IOException {
        try (InputStream in = ParityGateTest.class.getResourceAsStream("/parity/must-pass.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toSet());
        }
    }

    /**
     * Once per kernel backend: {@code native} (CALICO's kernels inside the Q-Former, CEM, CAM and SAM mask decoder) and
     * {@code torch} (the modules' LibTorch code); both must keep every case passing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"native", "torch"})
    void everyFixtureCaseRunsAndNoneFails(String backend) throws IOException {
        Path dir = TestSupport.parityDir();
        assumeTrue(dir != null, "../shared/parity not present");
        String before = System.getProperty("calico.kernels");
        System.setProperty("calico.kernels", backend);
        try {
            runGate(dir);
        } finally {
            if (before == null) System.clearProperty("calico.kernels");
            else System.setProperty("calico.kernels", before);
        }
    }

    private static void runGate(Path dir) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<ParityResult> rs = ParityRunner.withAllHandlers().runAll(dir, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(ParityRunner.caseDirs(dir).size(), rs.size());
        assertTrue(out.lines().count() == rs.size() + 1, "one line per case plus the summary");
        for (ParityResult r : rs) assertNotEquals(ParityResult.Status.FAIL, r.status(), r.line());
        Set<String> must = mustPass();
        for (String name : must) {
            ParityResult r = rs.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            assertTrue(r != null, "must-pass case " + name + " is missing from " + dir);
            assertEquals(ParityResult.Status.PASS, r.status(), r.line());
        }
    }

    @Test
    void compareUsesNumpyAllcloseSemantics() {
        try (var s = new org.bytedeco.javacpp.PointerScope()) {
            var e = org.calico.tensor.T.fromFloats(new float[] {1f, 100f}, 2);
            // allowance = 1e-4 + 1e-3 * |e|: 1.001 vs 1 and 100.05 vs 100 pass, 100.2 vs 100 fails
            assertTrue(ParityRunner.compare(org.calico.tensor.T.fromFloats(new float[] {1.001f, 100.05f}, 2), e, 1e-4, 1e-3).ok());
            var bad = ParityRunner.compare(org.calico.tensor.T.fromFloats(new float[] {1f, 100.2f}, 2), e, 1e-4, 1e-3);
            assertTrue(!bad.ok() && bad.detail().startsWith("1 of 2 elements outside tolerance, worst at 1"), bad.detail());
            var shape = ParityRunner.compare(org.calico.tensor.T.fromFloats(new float[] {1f}, 1), e, 1e-4, 1e-3);
            assertTrue(!shape.ok() && shape.detail().contains("shape [1] != expected [2]"), shape.detail());
        }
    }
}
