package org.calico.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.calico.TestSupport;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels' logic without a GPU: target/native/calico_cuda_emu_test (built by CMake from cuda/*.cu against
 * the CPU emulation bench/gpu/emu/cuda_emu.h) runs every CUDA kernel (attention incl. split-K and shared keys, CAM,
 * SAM upscaling, LayerNorm; f32, bf16, f16) and its CPU kernel on the same inputs and compares them. Emulation checks
 * indexing, tiling, barriers and warp shuffles, not the GPU memory model or speed: that is bench/gpu/check.sh's job.
 */
class CudaEmulationTest {
    @Test
    void cudaKernelsMatchCpuKernelsUnderEmulation() throws IOException, InterruptedException {
        Path exe = TestSupport.repoDir().resolve("target/native/calico_cuda_emu_test");
        assumeTrue(Files.isExecutable(exe), "calico_cuda_emu_test not built on this platform (needs GCC >= 11)");
        ProcessBuilder pb = new ProcessBuilder(exe.toString()).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "emulation check timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        String last = text.strip().substring(text.strip().lastIndexOf('\n') + 1);
        System.out.println("calico_cuda_emu_test: " + last);
        assertEquals(0, p.exitValue(), text);
        assertTrue(last.matches("\\d+ cases, 0 failures") && !last.startsWith("0 "), last);
        assertTrue(text.contains("split-K") && text.contains("kv-shared") && text.contains("bf16") && text.contains("f16"), text);
    }
}
