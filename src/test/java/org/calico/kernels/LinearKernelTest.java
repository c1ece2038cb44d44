package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.f32;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeOps#linear} (calico_linear, gemm_rows.cpp) against LibTorch: F32 within 1e-5 + 1e-4 |y| of addmm; BF16
 * within half a bf16 ulp (2^-8 relative) of the exact fp32 product of the same bf16 inputs (one rounding). Shapes: the
 * CALICO projections (Q-Former K|V 1408 -> 1536, CEM 1408 -> 1408 with residual, 1024 -> 2816) and odd sizes (rows
 * not a multiple of 16, features not a multiple of the 6-wide tile or the 48-wide panel, odd K, K = 1, one row).
 */
class LinearKernelTest {
    private static final long[][] SHAPES = {{514, 1408, 1536}, {257, 1408, 1408}, {130, 1024, 2816}, {1, 7, 5}, {17, 33, 49},
            {33, 1, 3}, {64, 96, 48}, {5, 2, 100}, {15, 65, 97}};

    @Test
    void matchesLibTorchOnManyShapes() {
        T.seed(61);
        try (NoGradGuard g = new NoGradGuard()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (long[] c : SHAPES) {
                    try (PointerScope s = new PointerScope()) {
                        long m = c[0], k = c[1], n = c[2];
                        String name = dt + " linear " + Arrays.toString(c);
                        Tensor x = randn(dt, 1, m, k), w = randn(dt, 1 / Math.sqrt(k), n, k), b = randn(dt, 0.1, n), r = randn(dt, 1, m, n);
                        Tensor exact = torch.addmm(f32(b), f32(x), f32(w).t());
                        Tensor exactRes = exact.add(f32(r));
                        Tensor y = NativeOps.linear(x, w, b, null), yr = NativeOps.linear(x, w, b, r), yn = NativeOps.linear(x, w, null, null);
                        if (dt == DType.F32) {
                            assertClose(name, exact, y, 1e-5, 1e-4);
                            assertClose(name + " + residual", exactRes, yr, 1e-5, 1e-4);
                            assertClose(name + " no bias", exact.sub(b), yn, 1e-5, 1e-4);
                        } else {
                            boolean ours = NativeOps.linearAvailable(x);
                            double rtol = ours ? 1.0 / 256 : 0.02, atol = ours ? 1e-5 : 0.03;
                            assertClose(name, exact, y, atol, rtol);
                            assertClose(name + " + residual", exactRes, yr, atol, rtol);
                            assertClose(name + " no bias", exact.sub(f32(b)), yn, atol, rtol);
                        }
                        assertEquals(dt.scalarType().value, y.scalar_type().value);
                    }
                }
            }
        }
    }

    @Test
    void stridedInputsF16FallbackAndErrors() {
        T.seed(62);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            // x [24, 40] and w [30, 40] are transposed views (not contiguous): copied, same result
            Tensor x = randn(DType.F32, 1, 40, 24).t(), w = randn(DType.F32, 0.2, 40, 30).t(), b = randn(DType.F32, 0.1, 30);
            assertClose("strided", torch.addmm(b, x.contiguous(), w.contiguous().t()), NativeOps.linear(x, w, b, null), 1e-5, 1e-4);
            Tensor xh = randn(DType.F16, 1, 9, 24);
            Tensor wh = randn(DType.F16, 0.2, 7, 24), bh = randn(DType.F16, 0.1, 7);
            assertTrue(!NativeOps.linearAvailable(xh), "no F16 CPU path");
            assertClose("f16 fallback", torch.addmm(f32(bh), f32(xh), f32(wh).t()), NativeOps.linear(xh, wh, bh, null), 0.01, 0.01);
            // no inputs (K = 0): the bias (plus residual) alone
            Tensor x0 = randn(DType.F32, 1, 3, 0), w0 = randn(DType.F32, 1, 5, 0), b0 = randn(DType.F32, 0.1, 5), r0 = randn(3, 5);
            assertClose("K = 0", torch.addmm(b0, x0, w0.t()), NativeOps.linear(x0, w0, b0, null), 1e-6, 0);
            assertClose("K = 0 + residual", r0.add(b0), NativeOps.linear(x0, w0, b0, r0), 1e-6, 0);
            KernelException bad = assertThrows(KernelException.class, () -> NativeOps.linear(randn(9, 24), randn(7, 23), null, null));
            assertTrue(bad.getMessage().contains("'w'"), bad.getMessage());
            KernelException res = assertThrows(KernelException.class, () -> NativeOps.linear(randn(9, 24), randn(7, 24), null, randn(9, 8)));
            assertTrue(res.getMessage().contains("'residual'"), res.getMessage());
        }
    }
}
