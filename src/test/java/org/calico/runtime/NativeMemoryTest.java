package org.calico.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.NativeOps;
import org.calico.nn.LayerNorm;
import org.calico.nn.Linear;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** PointerScope discipline keeps the resident set flat over many forward passes. */
class NativeMemoryTest {
    @Test
    void rssStaysFlatOver2000ForwardPasses() {
        long rss0 = CalicoRuntime.residentBytes();
        int threads = CalicoRuntime.threads();
        CalicoRuntime.setThreads(1); // tiny ops: avoid OpenMP hand-offs on a shared 2-core machine
        org.junit.jupiter.api.Assumptions.assumeTrue(rss0 > 0, "needs /proc/self/status");
        try (Linear fc = new Linear(256, 512, true, DType.F32, Dev.CPU); LayerNorm ln = new LayerNorm(512, 1e-5, DType.F32, Dev.CPU);
             NoGradGuard g = new NoGradGuard()) {
            fc.initRandom(1);
            ln.initRandom(2);
            long warm = 0;
            for (int i = 0; i < 2000; i++) {
                try (PointerScope s = new PointerScope()) {
                    // each pass allocates ~200 KB of tensors: unscoped, 2000 passes would grow RSS by ~400 MB
                    Tensor x = T.randn(DType.F32, Dev.CPU, 16, 256);
                    Tensor y = ln.forward(T.gelu(fc.forward(x)));
                    Tensor z = NativeOps.layerNorm(y, ln.weight.t(), ln.bias.t(), 1e-5);
                    assertTrue(T.sum(z).item_float() == T.sum(z).item_float());
                }
                if (i == 199) warm = CalicoRuntime.residentBytes();
            }
            long end = CalicoRuntime.residentBytes();
            CalicoRuntime.setThreads(threads);
            long growth = end - warm;
            assertTrue(growth < 64L << 20, "RSS grew by " + (growth >> 20) + " MB between pass 200 and 2000 (start "
                    + (rss0 >> 20) + " MB, after warm-up " + (warm >> 20) + " MB, end " + (end >> 20) + " MB)");
        }
    }
}
