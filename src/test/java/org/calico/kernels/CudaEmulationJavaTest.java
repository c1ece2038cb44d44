package org.calico.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.calico.TestSupport;
import org.junit.jupiter.api.Test;

/**
 * The Java side's CUDA paths without a GPU. A child JVM loads the CPU-emulated kernel library
 * (target/native/cuda-emu/libcalico_kernels.so: the real C ABI, device code 1 running the CUDA kernels on the CPU)
 * in place of the real one and sets {@code -Dcalico.kernels.emulatedCuda=true}, so CPU tensors take every CUDA-only
 * branch of the Java code: device code 1, the CUDA dispatch rules (no folding of the Q-Former, the few-key SAM rule,
 * addmm projections instead of the CPU GEMM tiles, scatter-add instead of the fused CAM reintegration), split-K
 * workspaces, the CUDA shape limits. {@link EmulatedCudaRunner} then runs the op tests, the upstream parity
 * fixtures (SAM mask decoder, BLIP-2 Q-Former) and the whole-model equivalence test (native vs torch) there.
 * Checked by mutation: a 1% error in the emulated attention kernel's scale fails 3 of MhaKernelTest's 5 tests.
 * Not covered: LibTorch's CUDA tensors and streams (no CUDA LibTorch here). About 4 minutes; skipped with
 * {@code -Dcalico.test.emulatedCuda=false} or where the emulated library is not built (GCC < 11).
 */
class CudaEmulationJavaTest {
    private static final String[] CLASSES = {
        "org.calico.kernels.MhaKernelTest", "org.calico.kernels.LayerNormKernelTest",
        "org.calico.kernels.QFormerCrossAttentionOpTest", "org.calico.kernels.CemFusionOpTest",
        "org.calico.kernels.CamInjectionOpTest", "org.calico.kernels.SamMaskDecodingOpTest",
        "org.calico.kernels.KernelFixturesTest", "org.calico.kernels.UpstreamParityTest",
        "org.calico.kernels.OpsDispatchTest", "org.calico.llm.DecodeLinearTest",
        "org.calico.model.CalicoKernelsEquivalenceTest",
    };
    private static final Pattern SUMMARY =
            Pattern.compile("emulated CUDA: (\\d+) tests, (\\d+) succeeded, (\\d+) failed, (\\d+) skipped");

    @Test
    void opTestsPassThroughTheJavaCudaPathOnEmulatedKernels() throws IOException, InterruptedException {
        assumeTrue(!"false".equals(System.getProperty("calico.test.emulatedCuda")), "-Dcalico.test.emulatedCuda=false");
        Path lib = TestSupport.repoDir().resolve("target/native/cuda-emu");
        assumeTrue(Files.exists(lib.resolve("libcalico_kernels.so")), "emulated kernel library not built here (GCC >= 11)");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx6g",
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0",
                "-Dorg.bytedeco.javacpp.pathsFirst=true", "-Djava.library.path=" + lib,
                "-Dcalico.kernels.emulatedCuda=true", "-cp", cp, EmulatedCudaRunner.class.getName()));
        cmd.addAll(List.of(CLASSES));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.MINUTES), "emulated CUDA run timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        Matcher m = SUMMARY.matcher(text);
        assertTrue(m.find(), "no summary from the child JVM:\n" + text);
        System.out.println(m.group() + " (" + String.join(", ", shortNames()) + ")");
        assertEquals(0, p.exitValue(), text);
        assertEquals("0", m.group(3), text);
        assertTrue(text.contains("CUDA EMULATED"), text);
        assertTrue(Integer.parseInt(m.group(2)) >= 40, "too few tests ran under emulated CUDA:\n" + text);
    }

    private static List<String> shortNames() {
        List<String> n = new ArrayList<>();
        for (String c : CLASSES) n.add(c.substring(c.lastIndexOf('.') + 1));
        return n;
    }
}
