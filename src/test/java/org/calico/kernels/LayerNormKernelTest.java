package org.calico.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** The native fused LayerNorm (C++ CPU) against LibTorch's layer_norm. */
class LayerNormKernelTest {
    @Test
    void libraryLoadsAndReportsCudaCleanly() {
        assertTrue(NativeLibrary.available(), NativeLibrary.loadError());
        assertTrue(NativeLibrary.buildInfo().startsWith("calico_kernels"));
        // no GPU on CI machines: 0 devices and a readable status, never a crash
        assertTrue(NativeLibrary.cudaDeviceCount() >= 0);
        assertTrue(!NativeLibrary.cudaStatus().isEmpty());
    }

    @Test
    void fp32MatchesLibTorchOnManyShapes() {
        long[][] shapes = {{1, 1}, {3, 7}, {5, 64}, {257, 1408}, {2, 17, 33}, {1, 4096}};
        T.seed(7);
        for (long[] s : shapes) {
            try (PointerScope scope = new PointerScope()) {
                long c = s[s.length - 1];
                Tensor x = T.randn(DType.F32, Dev.CPU, s).mul(T.s(3)).add(T.s(0.5));
                Tensor w = T.randn(DType.F32, Dev.CPU, c), b = T.randn(DType.F32, Dev.CPU, c);
                Tensor ref = T.layerNorm(x, w, b, 1e-6);
                Tensor got = NativeOps.layerNorm(x, w, b, 1e-6);
                assertTrue(T.maxAbsDiff(ref, got) < 2e-5, () -> "shape " + java.util.Arrays.toString(s) + " diff " + T.maxAbsDiff(ref, got));
                Tensor refNoBias = T.layerNorm(x, w, null, 1e-5);
                assertTrue(T.maxAbsDiff(refNoBias, NativeOps.layerNorm(x, w, null, 1e-5)) < 2e-5);
            }
        }
    }

    @Test
    void bf16MatchesLibTorch() {
        try (PointerScope scope = new PointerScope()) {
            T.seed(3);
            Tensor x = T.randn(DType.F32, Dev.CPU, 33, 768).to(DType.BF16.scalarType());
            Tensor w = T.randn(DType.F32, Dev.CPU, 768).to(DType.BF16.scalarType());
            Tensor b = T.randn(DType.F32, Dev.CPU, 768).to(DType.BF16.scalarType());
            Tensor ref = T.layerNorm(x, w, b, 1e-6);
            Tensor got = NativeOps.layerNorm(x, w, b, 1e-6);
            assertEquals(DType.BF16, T.dtype(got));
            // both round to bf16 once from fp32 statistics: at most one bf16 ulp apart
            assertTrue(T.maxAbsDiff(ref, got) <= 0.0625, "diff " + T.maxAbsDiff(ref, got));
        }
    }

    @Test
    void badArgumentsAreJavaExceptions() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = T.randn(DType.F32, Dev.CPU, 4, 8);
            KernelException e = assertThrows(KernelException.class, () -> NativeOps.layerNorm(x, T.zeros(7), null, 1e-5));
            assertTrue(e.getMessage().contains("weight shape [7]"), e.getMessage());
            Tensor xi = T.zeros(DType.I64, Dev.CPU, 4, 8);
            assertThrows(KernelException.class, () -> NativeOps.layerNorm(xi, T.zeros(DType.I64, Dev.CPU, 8), null, 1e-5));
            Tensor wb = T.zeros(DType.BF16, Dev.CPU, 8);
            KernelException m = assertThrows(KernelException.class, () -> NativeOps.layerNorm(x, wb, null, 1e-5));
            assertTrue(m.getMessage().contains("BF16"), m.getMessage());
        }
    }
}
