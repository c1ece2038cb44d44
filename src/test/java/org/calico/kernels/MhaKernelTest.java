package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.NativeOps.MhaOperand;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * The fused attention kernel (calico_mha, C++ CPU) against the eager composite on random inputs: odd sizes, one query,
 * 4096 keys, head sizes 8..128, heads read in place from a fused K|V buffer, batch-stride-0 broadcast, F32/BF16/F16.
 * Tolerance: fp32 atol 1e-5 + rtol 1e-4 (softmax sums in a different order and an exp accurate to ~1 ulp: observed
 * <= 2e-6); bf16/f16 are compared with the fp32 composite on the same rounded inputs, atol 4e-3 + rtol 1e-2 (one
 * rounding of the output; the bf16 composite itself rounds scores and probabilities and is no closer).
 */
class MhaKernelTest {
    /** Composite on fp32 copies; each operand [B or 1, L, H*d]. */
    private static Tensor reference(Tensor q, Tensor k, Tensor v, int heads) {
        return Composite.mha(KernelTestSupport.f32(q), KernelTestSupport.f32(k), KernelTestSupport.f32(v), heads);
    }

    private static Tensor run(Tensor q, Tensor k, Tensor v, int heads, boolean kvBroadcast) {
        long b = q.size(0), lq = q.size(1), c = q.size(2), lk = k.size(1), d = c / heads;
        Tensor out = NativeOps.emptyLike(q, b, lq, c);
        long kbs = kvBroadcast ? 0 : lk * c;
        NativeOps.mha(MhaOperand.of(q, 0, lq * c, c), MhaOperand.of(k, 0, kbs, c), MhaOperand.of(v, 0, kbs, c),
                MhaOperand.of(out, 0, lq * c, c), b, heads, lq, lk, d, 1.0 / Math.sqrt(d));
        return out;
    }

    @Test
    void fp32ManyShapes() {
        // {B, H, Lq, Lk, d}
        long[][] cases = {{1, 1, 1, 1, 8}, {2, 3, 7, 13, 16}, {1, 12, 32, 257, 64}, {2, 16, 33, 29, 88}, {1, 2, 1, 4096, 16},
                {1, 8, 70, 7, 16}, {3, 1, 65, 130, 128}, {1, 4, 5, 64, 32}, {2, 2, 31, 65, 17}, {1, 1, 100, 1, 24},
                // the GEMM-tile path on AVX-512 CPUs (>= 32 queries and keys, head >= 16): CEM's shape, query blocks
                // split by the score budget (33 rows over 40000 keys: blocks of 16), odd sizes
                {2, 16, 257, 256, 88}, {1, 1, 33, 40000, 16}, {1, 2, 40, 33, 17}};
        T.seed(11);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long[] cs : cases) {
                try (PointerScope s = new PointerScope()) {
                    int h = (int) cs[1];
                    long c = h * cs[4];
                    Tensor q = randn(cs[0], cs[2], c), k = randn(cs[0], cs[3], c).mul(T.s(2)), v = randn(cs[0], cs[3], c);
                    assertClose("mha " + java.util.Arrays.toString(cs), reference(q, k, v, h), run(q, k, v, h, false), 1e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void broadcastKeysAndFusedKvBufferInPlace() {
        T.seed(12);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            // k/v batch 1 shared by 5 queries' batches (SAM text prompts)
            Tensor q = randn(5, 7, 128), k = randn(1, 300, 128), v = randn(1, 300, 128);
            assertClose("broadcast k/v", reference(q, k, v, 8), run(q, k, v, 8, true), 1e-5, 1e-4);
            // q batch 1 shared, k/v per batch (image->token in the first block)
            Tensor qi = randn(1, 50, 64), kt = randn(3, 6, 64), vt = randn(3, 6, 64);
            Tensor out = NativeOps.emptyLike(qi, 3, 50, 64);
            NativeOps.mha(MhaOperand.of(qi, 0, 0, 64), MhaOperand.of(kt, 0, 6 * 64, 64), MhaOperand.of(vt, 0, 6 * 64, 64),
                    MhaOperand.of(out, 0, 50 * 64, 64), 3, 4, 50, 6, 16, 0.25);
            assertClose("broadcast q", reference(qi, kt, vt, 4), out, 1e-5, 1e-4);
            // K and V side by side in one [B, S, 2C] buffer, read in place at column offsets 0 and C
            Tensor kv = randn(2, 19, 2 * 48);
            Tensor qq = randn(2, 4, 48);
            Tensor o2 = NativeOps.emptyLike(qq, 2, 4, 48);
            NativeOps.mha(MhaOperand.of(qq, 0, 4 * 48, 48), MhaOperand.of(kv, 0, 19 * 96, 96), MhaOperand.of(kv, 48, 19 * 96, 96),
                    MhaOperand.of(o2, 0, 4 * 48, 48), 2, 3, 4, 19, 16, 0.25);
            Tensor kk = kv.narrow(2, 0, 48), vv = kv.narrow(2, 48, 48);
            assertClose("fused kv", reference(qq, kk, vv, 3), o2, 1e-5, 1e-4);
        }
    }

    @Test
    void halfPrecisionStorageWithFp32Math() {
        T.seed(13);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            // {Lq, Lk, width, heads}: the Q-Former's unfolded form and CEM's shape (head 88)
            long[][] shapes = {{32, 257, 768, 12}, {257, 256, 1408, 16}};
            for (DType dt : new DType[] {DType.BF16, DType.F16}) {
                for (long[] sh : shapes) {
                    int h = (int) sh[3];
                    Tensor q = randn(dt, 1, 2, sh[0], sh[2]), k = randn(dt, 1, 2, sh[1], sh[2]), v = randn(dt, 1, 2, sh[1], sh[2]);
                    Tensor got = run(q, k, v, h, false);
                    assertEquals(dt, T.dtype(got));
                    double err = assertClose(dt + " mha " + java.util.Arrays.toString(sh), reference(q, k, v, h), got, 4e-3, 1e-2);
                    // no worse than LibTorch's own composite in that dtype (which rounds scores and probabilities too)
                    double composite = T.maxAbsDiff(reference(q, k, v, h), Composite.mha(q, k, v, h));
                    assertTrue(err <= composite * 1.5 + 1e-3, dt + ": native " + err + " vs composite " + composite);
                }
            }
        }
    }

    @Test
    void emptySizes() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            // no keys: zeros, as the composite's matmul over an empty key set
            Tensor q = randn(2, 3, 32), k = randn(2, 0, 32), v = randn(2, 0, 32);
            Tensor out = run(q, k, v, 2, false);
            assertEquals(0.0, T.maxAbsDiff(out, T.zeros(2, 3, 32)));
            assertClose("no keys", Composite.mha(q, k, v, 2), out, 0, 0);
            // zero batch and zero queries: nothing to do, no error
            assertEquals(0, run(randn(0, 3, 32), randn(0, 5, 32), randn(0, 5, 32), 2, false).numel());
            assertEquals(0, run(randn(2, 0, 32), randn(2, 5, 32), randn(2, 5, 32), 2, false).numel());
        }
    }

    @Test
    void badArgumentsAreKernelExceptions() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor q = randn(2, 4, 32), k = randn(2, 5, 32), v = randn(2, 5, 32), out = randn(2, 4, 32);
            KernelException small = assertThrows(KernelException.class, () -> NativeOps.mha(MhaOperand.of(q, 0, 128, 32),
                    MhaOperand.of(k, 0, 160, 32), MhaOperand.of(v, 0, 160, 32), MhaOperand.of(out, 0, 128, 32), 3, 2, 4, 5, 16, 1));
            assertTrue(small.getMessage().contains("'q' of 256 elements is too small"), small.getMessage());
            KernelException stride = assertThrows(KernelException.class, () -> NativeOps.mha(MhaOperand.of(q, 0, 128, 16),
                    MhaOperand.of(k, 0, 160, 32), MhaOperand.of(v, 0, 160, 32), MhaOperand.of(out, 0, 128, 32), 2, 2, 4, 5, 16, 1));
            assertTrue(stride.getMessage().contains("row stride must be >= heads*d = 32"), stride.getMessage());
            Tensor kb = k.to(DType.BF16.scalarType());
            KernelException dt = assertThrows(KernelException.class, () -> NativeOps.mha(MhaOperand.of(q, 0, 128, 32),
                    MhaOperand.of(kb, 0, 160, 32), MhaOperand.of(v, 0, 160, 32), MhaOperand.of(out, 0, 128, 32), 2, 2, 4, 5, 16, 1));
            assertTrue(dt.getMessage().contains("'k' is BF16 but the input is F32"), dt.getMessage());
            Tensor qd = q.to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
            KernelException f64 = assertThrows(KernelException.class, () -> NativeOps.mha(MhaOperand.of(qd, 0, 128, 32),
                    MhaOperand.of(k, 0, 160, 32), MhaOperand.of(v, 0, 160, 32), MhaOperand.of(out, 0, 128, 32), 2, 2, 4, 5, 16, 1));
            assertTrue(f64.getMessage().contains("F64 not supported"), f64.getMessage());
            Tensor nc = randn(4, 2, 32).transpose(0, 1);
            KernelException cont = assertThrows(KernelException.class, () -> NativeOps.mha(MhaOperand.of(q, 0, 128, 32),
                    MhaOperand.of(k, 0, 160, 32), MhaOperand.of(v, 0, 160, 32), MhaOperand.of(nc, 0, 128, 32), 2, 2, 4, 5, 16, 1));
            assertTrue(cont.getMessage().contains("must be contiguous"), cont.getMessage());
        }
    }
}
