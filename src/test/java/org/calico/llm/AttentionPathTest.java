package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** The eager-attention composite (used for BF16/F16 on the CPU) against LibTorch's SDPA. */
class AttentionPathTest {
    @Test void mathAttentionEqualsSdpa() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(4);
            Tensor q = T.randn(DType.F32, Dev.CPU, 2, 4, 7, 16), k = T.randn(DType.F32, Dev.CPU, 2, 4, 7, 16), v = T.randn(DType.F32, Dev.CPU, 2, 4, 7, 16);
            double scale = 1 / Math.sqrt(16);
            Tensor causal = LlamaAttention.mathAttention(q, k, v, null, true, 0, 16);
            assertTrue(T.maxAbsDiff(causal, T.sdpa(q, k, v, null, scale, true)) < 1e-5);
            Tensor none = LlamaAttention.mathAttention(q, k, v, null, false, 0, 16);
            assertTrue(T.maxAbsDiff(none, T.sdpa(q, k, v, null, scale, false)) < 1e-5);
            Tensor mask = T.rand(DType.F32, Dev.CPU, 2, 1, 7, 7).gt(new org.bytedeco.pytorch.Scalar(0.3)).logical_or(T.ones(DType.BOOL, Dev.CPU, 7, 7).triu(0).tril(0));
            Tensor masked = LlamaAttention.mathAttention(q, k, v, mask, false, 0, 16);
            assertTrue(T.maxAbsDiff(masked, T.sdpa(q, k, v, mask, scale, false)) < 1e-5);
            // offset causal (a chunk after 3 cached tokens): query j sees keys 0..3+j
            Tensor q4 = q.narrow(2, 3, 4);
            Tensor off = LlamaAttention.mathAttention(q4, k, v, null, true, 3, 16);
            Tensor ref = T.sdpa(q4, k, v, T.ones(DType.BOOL, Dev.CPU, 4, 7).tril(3), scale, false);
            assertTrue(T.maxAbsDiff(off, ref) < 1e-5);
            // bf16: softmax in F32, within bf16 rounding of the F32 result
            Tensor qb = T.to(q, DType.BF16), kb = T.to(k, DType.BF16), vb = T.to(v, DType.BF16);
            Tensor b = LlamaAttention.mathAttention(qb, kb, vb, null, true, 0, 16);
            assertTrue(T.maxAbsDiff(b, T.sdpa(T.to(qb, DType.F32), T.to(kb, DType.F32), T.to(vb, DType.F32), null, scale, true)) < 3e-2);
        }
    }
}
