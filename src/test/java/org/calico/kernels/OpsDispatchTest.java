package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Backend choice: configuration (global and per op), device, and autograd. */
class OpsDispatchTest {
    @AfterEach
    void clear() {
        System.clearProperty("calico.kernels");
        for (String op : Ops.NAMES) System.clearProperty("calico.kernels." + op);
    }

    @Test
    void configurationAndDeviceDefaults() {
        // CI machines: library present, no CUDA device -> native on CPU, composite for CUDA tensors
        assertEquals(Backend.NATIVE, Backend.forDevice(Ops.CEM_FUSION, false));
        assertEquals(NativeLibrary.cudaUsable() ? Backend.NATIVE : Backend.TORCH, Backend.forDevice(Ops.CEM_FUSION, true));
        System.setProperty("calico.kernels", "torch");
        assertEquals(Backend.TORCH, Backend.forDevice(Ops.CEM_FUSION, false));
        System.setProperty("calico.kernels." + Ops.CEM_FUSION, "native");
        assertEquals(Backend.NATIVE, Backend.forDevice(Ops.CEM_FUSION, false));
        assertEquals(Backend.TORCH, Backend.forDevice(Ops.SAM_MASK_DECODING, false));
        if (!NativeLibrary.cudaUsable()) {
            KernelException e = assertThrows(KernelException.class, () -> Backend.forDevice(Ops.CEM_FUSION, true));
            assertTrue(e.getMessage().contains("native kernels configured for a CUDA tensor"), e.getMessage());
            assertTrue(Ops.describe(Ops.CEM_FUSION, true).startsWith("error: "));
        }
        System.setProperty("calico.kernels." + Ops.CEM_FUSION, "fast");
        assertThrows(IllegalArgumentException.class, () -> Backend.forDevice(Ops.CEM_FUSION, false));
    }

    @Test
    void autogradRunsTheCompositeAndGradientsFlow() {
        T.seed(61);
        try (PointerScope s = new PointerScope(); QFormerCrossAttentionOp op = Ops.qformerCrossAttention()) {
            QFormerCrossAttentionOp.Weights w = QFormerCrossAttentionOpTest.weights(DType.F32, 32, 24, 4);
            w.wq().requires_grad_(true);
            Tensor hidden = randn(2, 3, 32), enc = randn(2, 5, 24);
            assertTrue(Ops.useNative(Ops.QFORMER_CROSS_ATTENTION, hidden, enc, w.wq()) == false);
            Tensor out = op.forward(hidden, enc, w);
            assertTrue(out.requires_grad(), "composite output must carry the graph");
            out.sum().backward();
            assertTrue(w.wq().grad().defined() && T.item(w.wq().grad().abs().sum()) > 0);
            // no grad mode: the native kernel runs (no graph), same numbers
            try (NoGradGuard g = new NoGradGuard()) {
                assertTrue(Ops.useNative(Ops.QFORMER_CROSS_ATTENTION, hidden, enc, w.wq()));
                Tensor nat = op.forward(hidden, enc, w);
                assertFalse(nat.requires_grad());
                KernelTestSupport.assertClose("native vs autograd composite", out.detach(), nat, 1e-5, 1e-4);
            }
        }
    }

    @Test
    void forcedBackendsGiveTheSameResult() {
        T.seed(62);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); SamMaskDecodingOp op = Ops.samMaskDecoding()) {
            SamMaskDecodingOp.UpscaleWeights w = SamMaskDecodingOpTest.up(DType.F32, 32, 8, 4);
            Tensor src = randn(2, 32, 6, 6), hyper = randn(2, 3, 4);
            System.setProperty("calico.kernels." + Ops.SAM_MASK_DECODING, "torch");
            Tensor t = op.masks(src, hyper, w);
            System.setProperty("calico.kernels." + Ops.SAM_MASK_DECODING, "native");
            Tensor n = op.masks(src, hyper, w);
            KernelTestSupport.assertClose("torch vs native", t, n, 1e-5, 1e-4);
            assertTrue(T.maxAbsDiff(t, n) > 0, "both runs took the same path");
        }
    }
}
