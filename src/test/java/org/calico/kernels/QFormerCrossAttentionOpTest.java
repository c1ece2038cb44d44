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

/** Native Q-Former cross-attention against its LibTorch composite (fp32 atol 1e-5 + rtol 1e-4; bf16 see below). */
class QFormerCrossAttentionOpTest {
    static QFormerCrossAttentionOp.Weights weights(DType dt, long dq, long de, int heads) {
        Tensor[] q = linear(dt, dq, dq), k = linear(dt, dq, de), v = linear(dt, dq, de);
        return new QFormerCrossAttentionOp.Weights(q[0], q[1], k[0], k[1], v[0], v[1], heads);
    }

    @Test
    void nativeMatchesCompositeOnManyShapes() {
        // {B, Nq, Dq, S, De, H}: real BLIP-2 shape, odd sizes, 1 query, a long 4096-token encoder, self-attention use
        long[][] cases = {{2, 32, 768, 257, 1408, 12}, {3, 7, 96, 31, 40, 3}, {1, 1, 64, 5, 32, 4}, {1, 33, 64, 4096, 48, 2},
                {2, 32, 64, 32, 64, 4}, {1, 5, 88, 9, 88, 1}};
        T.seed(21);
        try (NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention(); NoGradGuard g = new NoGradGuard()) {
            TorchQFormerCrossAttention ref = new TorchQFormerCrossAttention();
            for (long[] c : cases) {
                try (PointerScope s = new PointerScope()) {
                    QFormerCrossAttentionOp.Weights w = weights(DType.F32, c[2], c[4], (int) c[5]);
                    Tensor hidden = randn(c[0], c[1], c[2]), enc = randn(c[0], c[3], c[4]);
                    assertClose("qformer " + java.util.Arrays.toString(c), ref.forward(hidden, enc, w), nat.forward(hidden, enc, w), 1e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void bf16AtRealShapeIsAsCloseToFp32AsTheComposite() {
        T.seed(22);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention()) {
            QFormerCrossAttentionOp.Weights w = weights(DType.BF16, 768, 1408, 12);
            Tensor hidden = randn(DType.BF16, 1, 2, 32, 768), enc = randn(DType.BF16, 1, 2, 257, 1408);
            QFormerCrossAttentionOp.Weights w32 = new QFormerCrossAttentionOp.Weights(f(w.wq()), f(w.bq()), f(w.wk()), f(w.bk()), f(w.wv()), f(w.bv()), 12);
            Tensor ref32 = new TorchQFormerCrossAttention().forward(f(hidden), f(enc), w32);
            Tensor got = nat.forward(hidden, enc, w);
            assertEquals(DType.BF16, T.dtype(got));
            // the GEMMs round q/k/v to bf16 in both paths; the native attention then rounds once
            double errNative = assertClose("bf16 native", ref32, got, 2e-2, 2e-2);
            double errTorch = T.maxAbsDiff(ref32, new TorchQFormerCrossAttention().forward(hidden, enc, w));
            System.out.printf("qformer bf16 B2 32x257: max abs err vs fp32: native %.3g, composite %.3g%n", errNative, errTorch);
            assertTrue(errNative <= errTorch * 1.5 + 1e-3, "native bf16 error " + errNative + " vs composite " + errTorch);
            if (NativeOps.qformerFoldedAvailable(hidden) && NativeQFormerCrossAttention.fold(false))
                // the folded kernel keeps its scores in fp32 into the softmax (0.0029 here; 0.0070 when they were
                // rounded to bf16 first, as the composite does: 0.0067)
                assertTrue(errNative <= errTorch * 0.7, "folded bf16 error " + errNative + " vs composite " + errTorch);
        }
    }

    private static Tensor f(Tensor t) { return KernelTestSupport.f32(t); }

    @Test
    void cachedKvWeightsFollowInPlaceUpdates() {
        T.seed(23);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention()) {
            QFormerCrossAttentionOp.Weights w = weights(DType.F32, 48, 40, 4);
            Tensor hidden = randn(2, 5, 48), enc = randn(2, 9, 40);
            Tensor before = nat.forward(hidden, enc, w);
            assertClose("first", new TorchQFormerCrossAttention().forward(hidden, enc, w), before, 1e-5, 1e-4);
            // load new values into the same parameter tensors (as a checkpoint load does): the [Wk; Wv] cache must follow
            w.wv().copy_(randn(48, 40));
            w.bk().copy_(randn(48));
            Tensor after = nat.forward(hidden, enc, w);
            assertTrue(T.maxAbsDiff(before, after) > 1e-2, "output did not change after the weight update");
            assertClose("after update", new TorchQFormerCrossAttention().forward(hidden, enc, w), after, 1e-5, 1e-4);

            // the folded path (few queries, many tokens) caches Wk^T: it must follow an in-place update of wk too
            Tensor h2 = randn(2, 3, 48), e2 = randn(2, 40, 40);
            assertTrue(NativeQFormerCrossAttention.foldingPays(3, 40, 12));
            Tensor f1 = nat.forward(h2, e2, w);
            assertClose("folded", new TorchQFormerCrossAttention().forward(h2, e2, w), f1, 1e-5, 1e-4);
            w.wk().copy_(randn(48, 40));
            Tensor f2 = nat.forward(h2, e2, w);
            assertTrue(T.maxAbsDiff(f1, f2) > 1e-2, "folded output did not change after the wk update");
            assertClose("folded after update", new TorchQFormerCrossAttention().forward(h2, e2, w), f2, 1e-5, 1e-4);
        }
    }

    @Test
    void foldedCompositeMatchesTheCompositeAndTheModeSwitches() {
        T.seed(24);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention()) {
            TorchQFormerCrossAttention ref = new TorchQFormerCrossAttention();
            QFormerCrossAttentionOp.Weights w = weights(DType.F32, 768, 1408, 12);
            Tensor hidden = randn(2, 32, 768), enc = randn(2, 257, 1408);
            Tensor expected = ref.forward(hidden, enc, w);
            // the LibTorch form of the folded algebra (what CUDA runs with -Dcalico.qformer.fold=on)
            assertClose("folded composite", expected, NativeQFormerCrossAttention.foldedComposite(hidden, enc, w), 1e-5, 1e-4);
            QFormerCrossAttentionOp.Weights wb = weights(DType.BF16, 96, 80, 3);
            Tensor hb = randn(DType.BF16, 1, 2, 4, 96), eb = randn(DType.BF16, 1, 2, 30, 80);
            assertClose("folded composite bf16", ref.forward(hb, eb, wb), NativeQFormerCrossAttention.foldedComposite(hb, eb, wb), 0.03, 0.02);
            String old = System.getProperty(NativeQFormerCrossAttention.FOLD_PROPERTY);
            try {
                System.setProperty(NativeQFormerCrossAttention.FOLD_PROPERTY, "off");
                assertTrue(!NativeQFormerCrossAttention.fold(false) && !NativeQFormerCrossAttention.fold(true));
                assertClose("fold off", expected, nat.forward(hidden, enc, w), 1e-5, 1e-4);
                System.setProperty(NativeQFormerCrossAttention.FOLD_PROPERTY, "on");
                assertTrue(NativeQFormerCrossAttention.fold(false) && NativeQFormerCrossAttention.fold(true));
                System.setProperty(NativeQFormerCrossAttention.FOLD_PROPERTY, "auto");
                assertTrue(NativeQFormerCrossAttention.fold(false) && !NativeQFormerCrossAttention.fold(true));
                System.setProperty(NativeQFormerCrossAttention.FOLD_PROPERTY, "sometimes");
                KernelException bad = assertThrows(KernelException.class, () -> NativeQFormerCrossAttention.fold(false));
                assertTrue(bad.getMessage().contains("expected auto, on or off"), bad.getMessage());
            } finally {
                if (old == null) System.clearProperty(NativeQFormerCrossAttention.FOLD_PROPERTY);
                else System.setProperty(NativeQFormerCrossAttention.FOLD_PROPERTY, old);
            }
        }
    }

    @Test
    void foldingRule() {
        assertTrue(NativeQFormerCrossAttention.foldingPays(32, 257, 64), "BLIP-2: 32 queries over 257 tokens, dh 64");
        assertTrue(!NativeQFormerCrossAttention.foldingPays(33, 4096, 32));
        assertTrue(!NativeQFormerCrossAttention.foldingPays(32, 32, 16));
    }

    @Test
    void zeroBatchAndBadInputs() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); QFormerCrossAttentionOp op = Ops.qformerCrossAttention()) {
            QFormerCrossAttentionOp.Weights w = weights(DType.F32, 48, 40, 4);
            Tensor empty = op.forward(randn(0, 5, 48), randn(0, 9, 40), w);
            assertEquals(java.util.Arrays.toString(new long[] {0, 5, 48}), T.shapeString(empty));
            KernelException enc = assertThrows(KernelException.class, () -> op.forward(randn(2, 5, 48), randn(2, 9, 41), w));
            assertTrue(enc.getMessage().contains("'wk' has shape [48, 40], expected [48, 41]"), enc.getMessage());
            KernelException batch = assertThrows(KernelException.class, () -> op.forward(randn(2, 5, 48), randn(3, 9, 40), w));
            assertTrue(batch.getMessage().contains("'encoder' has shape [3, 9, 40], expected [2, *, *]"), batch.getMessage());
            KernelException heads = assertThrows(KernelException.class,
                    () -> op.forward(randn(2, 5, 48), randn(2, 9, 40), new QFormerCrossAttentionOp.Weights(w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv(), 5)));
            assertTrue(heads.getMessage().contains("width 48 is not divisible into 5 heads"), heads.getMessage());
            KernelException dt = assertThrows(KernelException.class,
                    () -> op.forward(randn(2, 5, 48), randn(DType.BF16, 1, 2, 9, 40), w));
            assertTrue(dt.getMessage().contains("'encoder' is BF16 but the input is F32"), dt.getMessage());
            KernelException ints = assertThrows(KernelException.class,
                    () -> op.forward(T.zeros(DType.I64, org.calico.tensor.Dev.CPU, 2, 5, 48), randn(2, 9, 40), w));
            assertTrue(ints.getMessage().contains("must be floating point"), ints.getMessage());
        }
    }
}
