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
