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

/** Native CAM adapt / reintegrate against the composite (fp32 atol 1e-5 + rtol 1e-4); out-of-place and in-place. */
class CamInjectionOpTest {
    @Test
    void adaptMatchesCompositeOnManyShapes() {
        // {B, L, D, Dq, Nq}: real (D 4096 -> Dq 768, 32 queries), odd sizes, batch 5 (not a multiple of 4)
        long[][] cases = {{2, 160, 4096, 768, 32}, {5, 9, 33, 17, 3}, {1, 1, 16, 8, 1}, {8, 120, 4096, 768, 32}, {4, 20, 64, 33, 2},
                {3, 7, 4096, 768, 32}, {11, 5, 48, 19, 2}};
        T.seed(41);
        try (NativeCamInjection nat = new NativeCamInjection(); NoGradGuard g = new NoGradGuard()) {
            TorchCamInjection ref = new TorchCamInjection();
            for (long[] c : cases) {
                try (PointerScope s = new PointerScope()) {
                    Tensor[] a = linear(DType.F32, c[3], c[2]);
                    CamInjectionOp.AdaptWeights w = new CamInjectionOp.AdaptWeights(a[0], a[1], randn(1, c[4], c[3]));
                    Tensor hidden = randn(c[0], c[1], c[2]);
                    long[] last = new long[(int) c[0]];
                    for (int i = 0; i < last.length; i++) last[i] = (c[1] - 1 - 3L * i) < 0 ? 0 : c[1] - 1 - 3L * i;
                    assertClose("adapt " + java.util.Arrays.toString(c), ref.adapt(hidden, last, w), nat.adapt(hidden, last, w), 1e-5, 1e-4);
                    // queries given as [Nq, Dq], hidden as a non-contiguous view: same result
                    CamInjectionOp.AdaptWeights w2 = new CamInjectionOp.AdaptWeights(a[0], a[1], w.queries().squeeze(0));
                    Tensor hv = randn(c[1], c[0], c[2]).transpose(0, 1);
                    assertClose("adapt strided", ref.adapt(hv, last, w), nat.adapt(hv, last, w2), 1e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void reintegrateOutOfPlaceLeavesHiddenAndInPlaceUpdatesIt() {
        T.seed(42);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeCamInjection nat = new NativeCamInjection()) {
            TorchCamInjection ref = new TorchCamInjection();
            Tensor[] r = linear(DType.F32, 4096, 768);
            CamInjectionOp.ReintegrateWeights w = new CamInjectionOp.ReintegrateWeights(r[0], r[1]);
            Tensor hidden = randn(2, 150, 4096);
            Tensor keep = hidden.clone();
            long[] rows = {0, 0, 1, 1, 1}, starts = {3, 40, 0, 32, 118};
            Tensor x = randn(5, 32, 768);
            Tensor expected = ref.reintegrate(hidden, rows, starts, x, w);
            Tensor got = nat.reintegrate(hidden, rows, starts, x, w);
            assertClose("reintegrate", expected, got, 1e-5, 1e-4);
            assertEquals(0.0, T.maxAbsDiff(keep, hidden), "out-of-place reintegrate modified hidden");
            assertTrue(T.maxAbsDiff(keep, got) > 0.1);
            // rows outside every span are bit-identical copies
            assertEquals(0.0, T.maxAbsDiff(keep.narrow(1, 72, 40), got.narrow(1, 72, 40)));
            // in place: hidden itself becomes the result
            Tensor same = nat.reintegrateInPlace(hidden, rows, starts, x, w);
            assertTrue(same.is_same(hidden));
            assertClose("in place", expected, hidden, 1e-5, 1e-4);
            // overlapping spans add up like the composite's sequential adds
            long[] orows = {0, 0}, ostarts = {10, 20};
            Tensor x2 = randn(2, 32, 768);
            assertClose("overlap", ref.reintegrate(keep, orows, ostarts, x2, w), nat.reintegrate(keep, orows, ostarts, x2, w), 1e-5, 1e-4);
        }
    }

    /**
     * BF16 reintegrate against the exact fp32 result of the same bf16 inputs. Where the fused CPU kernel runs (AVX512-BF16)
     * each element is rounded once, so it lies within half a bf16 ulp (2^-8 relative) of the exact value, which the
     * composite's two roundings (proj, then the add) do not guarantee; elsewhere (fallback path, overlapping spans)
     * the composite's tolerance applies. Shapes: real (8 images of 32 queries, 768 -> 4096), odd dq (pairs padded),
     * row counts not a multiple of 16, dims not a multiple of the 6-feature tile or the 48-feature panel, one query.
     */
    @Test
    void bf16ReintegrateMatchesExactResultOnManyShapes() {
        // {B, L, D, Dq, Nq, images}; images go to rows j % B at starts (j / B) * Nq (never overlapping)
        long[][] cases = {{4, 160, 4096, 768, 32, 8}, {2, 50, 100, 37, 5, 3}, {1, 20, 17, 2, 1, 1}, {3, 16, 53, 15, 5, 3},
                {2, 70, 4096, 768, 32, 4}, {5, 9, 7, 64, 3, 10}, {1, 64, 96, 33, 16, 4}};
        T.seed(44);
        try (NativeCamInjection nat = new NativeCamInjection(); NoGradGuard g = new NoGradGuard()) {
            TorchCamInjection ref = new TorchCamInjection();
            for (long[] c : cases) {
                try (PointerScope s = new PointerScope()) {
                    String name = "bf16 reintegrate " + java.util.Arrays.toString(c);
                    int nImg = (int) c[5];
                    long[] rows = new long[nImg], starts = new long[nImg];
                    for (int j = 0; j < nImg; j++) {
                        rows[j] = j % c[0];
                        starts[j] = (j / c[0]) * c[4];
                    }
                    Tensor[] r = linear(DType.BF16, c[2], c[3]);
                    CamInjectionOp.ReintegrateWeights w = new CamInjectionOp.ReintegrateWeights(r[0], r[1]);
                    Tensor hidden = randn(DType.BF16, 1, c[0], c[1], c[2]);
                    Tensor x = randn(DType.BF16, 1, nImg, c[4], c[3]);
                    Tensor exact = ref.reintegrate(KernelTestSupport.f32(hidden), rows, starts, KernelTestSupport.f32(x),
                            new CamInjectionOp.ReintegrateWeights(KernelTestSupport.f32(r[0]), KernelTestSupport.f32(r[1])));
                    Tensor keep = hidden.clone();
                    Tensor got = nat.reintegrate(hidden, rows, starts, x, w);
                    assertEquals(0.0, T.maxAbsDiff(keep, hidden), name + ": out of place modified hidden");
                    boolean fused = NativeCamInjection.fused(hidden, rows, starts, x, w);
                    if (fused) assertClose(name + " (one rounding)", exact, got, 1e-5, 1.0 / 256);
                    assertClose(name, ref.reintegrate(hidden, rows, starts, x, w), got, 0.03, 0.02);
                    // in place: the same values, hidden updated
                    Tensor same = nat.reintegrateInPlace(hidden, rows, starts, x, w);
                    assertTrue(same.is_same(hidden));
                    assertEquals(0.0, T.maxAbsDiff(got, hidden), name + ": in place differs from out of place");
                }
            }
        }
    }

    @Test
    void fusedReintegrateRefusesOverlapsAndBadWeights() {
        T.seed(45);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeCamInjection nat = new NativeCamInjection()) {
            Tensor hidden = randn(DType.BF16, 1, 2, 40, 48);
            Tensor[] r = linear(DType.BF16, 48, 24);
            Tensor x = randn(DType.BF16, 1, 2, 8, 24);
            assertTrue(NativeOps.spansOverlap(new long[] {0, 0}, new long[] {3, 10}, 8));
            assertTrue(!NativeOps.spansOverlap(new long[] {0, 0}, new long[] {3, 11}, 8));
            assertTrue(!NativeOps.spansOverlap(new long[] {0, 1}, new long[] {3, 3}, 8));
            boolean cpuHasBf16 = false;
            try {
                cpuHasBf16 = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo")).contains("avx512_bf16");
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux: no claim about the CPU
            }
            // (a CPU-only kernel: under emulated CUDA, CudaEmulationJavaTest, these CPU tensors take the CUDA path)
            if (cpuHasBf16 && !NativeLibrary.onCuda(hidden))
                assertTrue(NativeOps.camReintegrateFusedAvailable(hidden), "AVX512-BF16 CPU but the fused path is off");
            if (!NativeOps.camReintegrateFusedAvailable(hidden)) return; // no AVX512-BF16 here: the fallback is covered above
            KernelException ov = assertThrows(KernelException.class,
                    () -> NativeOps.camReintegrateFused(hidden, x, r[0], r[1], new long[] {0, 0}, new long[] {3, 10}, false));
            assertTrue(ov.getMessage().contains("spans overlap"), ov.getMessage());
            KernelException shape = assertThrows(KernelException.class,
                    () -> NativeOps.camReintegrateFused(hidden, x, r[0].t(), r[1], new long[] {0, 1}, new long[] {0, 0}, false));
            assertTrue(shape.getMessage().contains("wr"), shape.getMessage());
            assertTrue(!NativeOps.camReintegrateFusedAvailable(hidden.to(org.bytedeco.pytorch.global.torch.ScalarType.Half)),
                    "the fused path has no F16 version");
            // the op itself falls back to projection + scatter-add for overlapping spans, matching the composite
            CamInjectionOp.ReintegrateWeights w = new CamInjectionOp.ReintegrateWeights(r[0], r[1]);
            assertClose("overlap fallback", new TorchCamInjection().reintegrate(hidden, new long[] {0, 0}, new long[] {3, 10}, x, w),
                    nat.reintegrate(hidden, new long[] {0, 0}, new long[] {3, 10}, x, w), 0.03, 0.02);
        }
    }

    @Test
    void bf16AndErrors() {
        T.seed(43);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); CamInjectionOp op = Ops.camInjection()) {
            Tensor[] a = linear(DType.BF16, 24, 40), r = linear(DType.BF16, 40, 24);
            CamInjectionOp.AdaptWeights aw = new CamInjectionOp.AdaptWeights(a[0], a[1], randn(DType.BF16, 1, 1, 4, 24));
            CamInjectionOp.ReintegrateWeights rw = new CamInjectionOp.ReintegrateWeights(r[0], r[1]);
            Tensor hidden = randn(DType.BF16, 1, 3, 13, 40);
            TorchCamInjection ref = new TorchCamInjection();
            assertClose("bf16 adapt", ref.adapt(hidden, new long[] {0, 12, 5}, aw), op.adapt(hidden, new long[] {0, 12, 5}, aw), 0.03, 0.02);
            Tensor x = randn(DType.BF16, 1, 2, 4, 24);
            assertClose("bf16 reintegrate", ref.reintegrate(hidden, new long[] {2, 0}, new long[] {9, 0}, x, rw),
                    op.reintegrate(hidden, new long[] {2, 0}, new long[] {9, 0}, x, rw), 0.03, 0.02);

            KernelException idx = assertThrows(KernelException.class, () -> op.adapt(hidden, new long[] {0, 13, 5}, aw));
            assertTrue(idx.getMessage().contains("last-token index 13 of row 1 outside [0, 13)"), idx.getMessage());
            KernelException cnt = assertThrows(KernelException.class, () -> op.adapt(hidden, new long[] {0, 1}, aw));
            assertTrue(cnt.getMessage().contains("2 last-token indices for a batch of 3"), cnt.getMessage());
            KernelException span = assertThrows(KernelException.class,
                    () -> op.reintegrate(hidden, new long[] {2, 0}, new long[] {10, 0}, x, rw));
            assertTrue(span.getMessage().contains("image 0 token span [10, 14) outside the sequence of length 13"), span.getMessage());
            KernelException row = assertThrows(KernelException.class,
                    () -> op.reintegrate(hidden, new long[] {3, 0}, new long[] {0, 0}, x, rw));
            assertTrue(row.getMessage().contains("image 0 batch row 3 outside [0, 3)"), row.getMessage());
            // zero batch / no images
            assertEquals(0, op.adapt(randn(DType.BF16, 1, 0, 13, 40), new long[0], aw).numel());
            Tensor none = op.reintegrate(hidden, new long[0], new long[0], randn(DType.BF16, 1, 0, 4, 24), rw);
            assertEquals(0.0, T.maxAbsDiff(hidden, none));
        }
    }
}
