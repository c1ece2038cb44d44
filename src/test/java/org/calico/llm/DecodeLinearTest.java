package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.KernelException;
import org.calico.kernels.NativeLibrary;
import org.calico.kernels.NativeOps;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The skinny GEMM kernel (decode-step projections) against LibTorch's linear in F32. */
class DecodeLinearTest {
    @ParameterizedTest
    @CsvSource({"f32,1,300,64", "f32,8,37,100", "bf16,1,300,64", "bf16,2,129,4096", "f16,3,50,33", "f32,5,1,17",
            "f32,4,37,64", "bf16,4,129,256", "f16,3,31,32", "bf16,3,1,4096",
            // bf16 with K not a multiple of 32 (the VDPBF16PS path's masked tail), K < 32, every row count
            "bf16,5,37,100", "bf16,8,20,33", "bf16,7,3,31", "bf16,6,65,97"})
    void matchesTorchLinear(String dt, int rows, int n, int k) {
        Assumptions.assumeTrue(NativeLibrary.available(), "native kernels not loaded");
        DType d = DType.parse(dt);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(rows * 1000L + n);
            Tensor x = T.to(T.randn(DType.F32, Dev.CPU, 1, rows, k), d);
            Tensor w = T.to(T.randn(DType.F32, Dev.CPU, n, k), d);
            Tensor ref = T.linear(T.to(x, DType.F32), T.to(w, DType.F32), null); // exact inputs, F32 math
            Tensor got = NativeOps.skinnyLinear(x, w);
            assertEquals(d, T.dtype(got));
            assertEquals("[1, " + rows + ", " + n + "]", T.shapeString(got));
            double scale = T.item(ref.abs().max());
            double tol = d == DType.F32 ? 1e-5 * Math.sqrt(k) * scale / 10 : (d == DType.BF16 ? 1.0 / 128 : 1.0 / 1024) * scale;
            double err = T.maxAbsDiff(got, ref);
            assertTrue(err <= tol, dt + " rows " + rows + ": err " + err + " > tol " + tol);
        }
    }

    @Test void rejectsBadInputs() {
        Assumptions.assumeTrue(NativeLibrary.available(), "native kernels not loaded");
        try (PointerScope s = new PointerScope()) {
            var e = assertThrows(KernelException.class, () -> NativeOps.skinnyLinear(T.zeros(9, 4), T.zeros(3, 4)));
            assertTrue(e.getMessage().contains("9 rows"), e.getMessage());
            var f = assertThrows(KernelException.class, () -> NativeOps.skinnyLinear(T.zeros(1, 5), T.zeros(3, 4)));
            assertTrue(f.getMessage().contains("does not match weight"), f.getMessage());
            var h = assertThrows(KernelException.class, () -> NativeOps.skinnyLinear(T.zeros(1, 4), T.to(T.zeros(3, 4), DType.BF16)));
            assertTrue(h.getMessage().contains("BF16"), h.getMessage());
        }
    }

    @Test void decodeStepsUseTheKernelAndMatchTheTorchPath() {
        // same model, same cached step, native kernel vs LibTorch linear
        Assumptions.assumeTrue(DecodeLinear.nativeEnabled(), "native kernels not enabled");
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 9); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = T.randn(DType.F32, Dev.CPU, 1, 1, 64);
            Tensor w = m.model.layers.get(0).mlp.gateProj.weight.t();
            Tensor viaKernel = DecodeLinear.apply(x, w);
            Tensor viaTorch = T.linear(x, w, null);
            assertTrue(T.maxAbsDiff(viaKernel, viaTorch) < 1e-5);
            Tensor big = T.randn(DType.F32, Dev.CPU, 1, 9, 64); // 9 rows: LibTorch path, bit-identical
            assertTrue(DecodeLinear.apply(big, w).equal(T.linear(big, w, null)));
        }
    }
}
