package org.calico.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.calico.TestSupport;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels' memcheck and racecheck without a GPU: bench/gpu/emu/sanitize.sh builds calico_cuda_emu_test (see
 * {@link CudaEmulationTest}) under AddressSanitizer + UBSan and under ThreadSanitizer and runs every case. Emulated
 * __shared__ arrays and device buffers are host memory, so out-of-bounds accesses hit red zones; each CUDA thread is
 * a std::thread, so a missing barrier between a shared-memory write and another thread's read is a reported race
 * (deleting one __syncthreads in attention_tc.cu or cam.cu was caught). About 4 minutes on 2 cores; skipped with
 * {@code -Dcalico.test.sanitizers=false} or where the emulated check is not built (GCC < 11).
 */
class CudaEmulationSanitizerTest {
    private static final Pattern LINE = Pattern.compile("(?m)^(asan|tsan): (\\d+) cases, (\\d+) failures, (\\d+) sanitizer reports");

    @Test
    void cudaKernelsAreCleanUnderAddressAndThreadSanitizers() throws IOException, InterruptedException {
        assumeTrue(!"false".equals(System.getProperty("calico.test.sanitizers")), "-Dcalico.test.sanitizers=false");
        Path repo = TestSupport.repoDir();
        assumeTrue(Files.isExecutable(repo.resolve("target/native/calico_cuda_emu_test")),
                "calico_cuda_emu_test not built on this platform (needs GCC >= 11)");
        Path script = repo.resolve("bench/gpu/emu/sanitize.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "all", repo.resolve("target/emu-sanitize").toString())
                .redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(25, TimeUnit.MINUTES), "sanitizer check timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.print(text);
        assertEquals(0, p.exitValue(), text);
        Matcher m = LINE.matcher(text);
        int kinds = 0;
        while (m.find()) {
            kinds++;
            assertTrue(Integer.parseInt(m.group(2)) > 0, m.group());
            assertEquals("0", m.group(3), m.group());
            assertEquals("0", m.group(4), m.group());
        }
        assertEquals(2, kinds, text);
    }
}
