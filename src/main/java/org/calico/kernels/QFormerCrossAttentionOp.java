package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * BLIP-2 Q-Former cross-attention, self part: HF {@code Blip2QFormerMultiHeadAttention} with encoder states, eager,
 * no mask (LAVIS {@code crossattention.self}, HF {@code crossattention.attention}), up to the context layer; the
 * {@code crossattention.output.dense} + LayerNorm that follow stay in the module.
 * <pre>
 *   q = hidden Wq^T + bq,  k = encoder Wk^T + bk,  v = encoder Wv^T + bv        (H heads of d = Dq / H)
 *   context = concat_h softmax(q_h k_h^T / sqrt(d)) v_h                         (softmax in fp32)
 * </pre>
 * Also serves the Q-Former self-attention (pass {@code encoder = hidden}, De = Dq).
 * Implementations: {@link TorchQFormerCrossAttention} (composite, autograd), {@link NativeQFormerCrossAttention}
 * (one GEMM for K and V together, fused online-softmax attention reading heads in place); {@link Ops#qformerCrossAttention()}
 * picks per call.
 */
public interface QFormerCrossAttentionOp extends AutoCloseable {
    /**
     * Weights with upstream shapes: wq [Dq, Dq], bq [Dq], wk [Dq, De], bk [Dq], wv [Dq, De], bv [Dq]; heads H
     * (BLIP-2: Dq 768, De 1408, H 12).
     */
    record Weights(Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, int heads) {}

    /** hidden [B, Nq, Dq] (query states), encoder [B, S, De] (image tokens) -> context [B, Nq, Dq]. */
    Tensor forward(Tensor hidden, Tensor encoder, Weights w);

    @Override default void close() {}

    /** Shape/dtype/device checks shared by every implementation (KernelException naming the problem). */
    static void validate(Tensor hidden, Tensor encoder, Weights w) {
        final String op = Ops.QFORMER_CROSS_ATTENTION;
        Checks.notNull(op, "weights", w);
        Checks.shape(op, "hidden", hidden, -1, -1, -1);
        Checks.floating(op, "hidden", hidden);
        long b = hidden.size(0), dq = hidden.size(2);
        Checks.shape(op, "encoder", encoder, b, -1, -1);
        long de = encoder.size(2);
        Checks.heads(op, dq, w.heads());
        Checks.shape(op, "wq", w.wq(), dq, dq);
        Checks.shape(op, "bq", w.bq(), dq);
        Checks.shape(op, "wk", w.wk(), dq, de);
        Checks.shape(op, "bk", w.bk(), dq);
        Checks.shape(op, "wv", w.wv(), dq, de);
        Checks.shape(op, "bv", w.bv(), dq);
        Checks.like(op, hidden, "encoder", encoder);
        for (Tensor t : new Tensor[] {w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv()}) Checks.like(op, hidden, "weight", t);
    }
}
