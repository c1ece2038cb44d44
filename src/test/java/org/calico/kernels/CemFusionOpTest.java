package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.linear;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** Native CEM fusion against its LibTorch composite (fp32 atol 1e-5 + rtol 1e-4). */
class CemFusionOpTest {
    static CemFusionOp.Weights weights(DType dt, long c, long cd, int heads) {
        Tensor[] q = linear(dt, c, c), k = linear(dt, c, cd), v = linear(dt, c, cd), o = linear(dt, c, c);
        return new CemFusionOp.Weights(randn(dt, 0.1, c).add(T.s(1)), randn(dt, 0.05, c), randn(dt, 0.1, cd).add(T.s(1)),
                randn(dt, 0.05, cd), q[0], q[1], k[0], k[1], v[0], v[1], o[0], o[1], heads);
    }

    @Test
    void nativeMatchesCompositeOnManyShapes() {
        // {B, S_C, C, S_D, C_D, H}: real CALICO shape (DINOv2 with and without CLS+registers), odd sizes, 1 token
        long[][] cases = {{2, 257, 1408, 256, 1024, 16}, {1, 257, 1408, 261, 1024, 16}, {3, 9, 64, 7, 40, 4}, {1, 1, 32, 3, 24, 2},
                {2, 17, 44, 33, 20, 2}};
        T.seed(31);
        try (NativeCemFusion nat = new NativeCemFusion(); NoGradGuard g = new NoGradGuard()) {
            TorchCemFusion ref = new TorchCemFusion();
            for (long[] c : cases) {
                try (PointerScope s = new PointerScope()) {
                    CemFusionOp.Weights w = weights(DType.F32, c[2], c[4], (int) c[5]);
                    Tensor x = randn(DType.F32, 2, c[0], c[1], c[2]), sem = randn(c[0], c[3], c[4]);
                    assertClose("cem " + java.util.Arrays.toString(c), ref.forward(x, sem, w), nat.forward(x, sem, w), 1e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void bf16AndZeroInitialisedOutputIsIdentity() {
        T.seed(32);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeCemFusion nat = new NativeCemFusion()) {
            CemFusionOp.Weights w = weights(DType.BF16, 128, 64, 4);
            Tensor x = randn(DType.BF16, 1, 2, 19, 128), sem = randn(DType.BF16, 1, 2, 11, 64);
            Tensor got = nat.forward(x, sem, w);
            assertEquals(DType.BF16, T.dtype(got));
            Tensor ref = new TorchCemFusion().forward(x, sem, w);
            assertClose("bf16 cem", ref, got, 0.05, 0.02);
            // the spec's zero-initialised out_proj makes an untrained CEM the identity: exactly x on the native path too
            CemFusionOp.Weights z = new CemFusionOp.Weights(w.normQW(), w.normQB(), w.normKvW(), w.normKvB(), w.wq(), w.bq(),
                    w.wk(), w.bk(), w.wv(), w.bv(), w.wo().mul(T.s(0)), w.bo().mul(T.s(0)), 4);
            assertEquals(0.0, T.maxAbsDiff(x, nat.forward(x, sem, z)));
        }
    }

    @Test
    void badInputs() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); CemFusionOp op = Ops.cemFusion()) {
            CemFusionOp.Weights w = weights(DType.F32, 64, 40, 4);
            KernelException e = assertThrows(KernelException.class, () -> op.forward(randn(2, 9, 64), randn(2, 7, 48), w));
            assertTrue(e.getMessage().contains("cem_fusion: 'norm_kv.weight' has shape [40], expected [48]"), e.getMessage());
            KernelException b = assertThrows(KernelException.class, () -> op.forward(randn(2, 9, 64), randn(1, 7, 40), w));
            assertTrue(b.getMessage().contains("'sem' has shape [1, 7, 40], expected [2, *, *]"), b.getMessage());
            assertEquals(0, op.forward(randn(0, 9, 64), randn(0, 7, 40), w).numel());
        }
    }
}
