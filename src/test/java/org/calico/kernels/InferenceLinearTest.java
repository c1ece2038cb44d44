package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** nn.Linear's dispatch: the CPU GEMM tiles only where they apply, the same values as LibTorch's linear either way. */
class InferenceLinearTest {
    @Test
    void dispatchRulesAndValues() {
        T.seed(81);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = randn(2, 64, 256), w = randn(DType.F32, 1 / 16.0, 128, 256), b = randn(DType.F32, 0.1, 128);
            boolean tiles = NativeOps.linearAvailable(x);
            assertTrue(InferenceLinear.applies(x, w, b) == tiles, "128 rows x 256 x 128 on this CPU");
            assertClose("values", T.linear(x, w, b), InferenceLinear.forward(x, w, b), 1e-5, 1e-4);
            // too small to pay the call: LibTorch
            Tensor xs = randn(2, 4, 256);
            assertFalse(InferenceLinear.applies(xs, w, b));
            assertClose("small", T.linear(xs, w, b), InferenceLinear.forward(xs, w, b), 1e-6, 0);
            // autograd needed: LibTorch, with a graph
            Tensor wg = w.clone().requires_grad_(true);
            assertFalse(InferenceLinear.applies(x, wg, b));
            // -Dcalico.kernels.linear=torch
            String old = System.getProperty("calico.kernels." + InferenceLinear.OP);
            try {
                System.setProperty("calico.kernels." + InferenceLinear.OP, "torch");
                assertFalse(InferenceLinear.applies(x, w, b));
            } finally {
                if (old == null) System.clearProperty("calico.kernels." + InferenceLinear.OP);
                else System.setProperty("calico.kernels." + InferenceLinear.OP, old);
            }
            // mixed dtypes are LibTorch's to reject or convert
            assertFalse(InferenceLinear.applies(x, w.to(DType.BF16.scalarType()), null));
        }
    }
}
