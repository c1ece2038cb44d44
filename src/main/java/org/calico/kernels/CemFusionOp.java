package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * CALICO Correspondence Extraction Module fusion (spec §7 decision): one multi-head cross-attention block in EVA
 * width with the EVA tokens as queries and the DINOv2 tokens as keys/values, LayerNorm on both inputs, residual add.
 * <pre>
 *   out = x + Linear(MHA(LN_q(x) Wq^T + bq, LN_kv(sem) Wk^T + bk, LN_kv(sem) Wv^T + bv); Wo, bo)
 * </pre>
 * x [B, S_C, C] (EVA features, C = 1408, S_C = 257), sem [B, S_D, C_D] (DINOv2 tokens, C_D = 1024, S_D = 256, or 261
 * with CLS + registers kept), H = 16 heads (d = 88), LayerNorm eps 1e-6. Output [B, S_C, C].
 * Implementations: {@link TorchCemFusion} (composite, autograd), {@link NativeCemFusion} (fused LayerNorm kernels,
 * q GEMM, one K|V GEMM, fused attention, output GEMM with the residual in its epilogue on the CPU tiles, added after
 * it elsewhere); {@link Ops#cemFusion()}.
 */
public interface CemFusionOp extends AutoCloseable {
    /**
     * normQ [C] weight/bias, normKv [C_D] weight/bias, wq [C, C], wk/wv [C, C_D], wo [C, C], biases [C]; heads; eps
     * (module keys, by the spec's decision: {@code norm_q}, {@code norm_kv}, {@code q_proj}, {@code k_proj},
     * {@code v_proj}, {@code out_proj}).
     */
    record Weights(Tensor normQW, Tensor normQB, Tensor normKvW, Tensor normKvB, Tensor wq, Tensor bq, Tensor wk,
                   Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo, int heads, double eps) {
        /** eps 1e-6 as the spec fixes for CEM. */
        public Weights(Tensor normQW, Tensor normQB, Tensor normKvW, Tensor normKvB, Tensor wq, Tensor bq, Tensor wk,
                       Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo, int heads) {
            this(normQW, normQB, normKvW, normKvB, wq, bq, wk, bk, wv, bv, wo, bo, heads, 1e-6);
        }
    }

    /** x [B, S_C, C], sem [B, S_D, C_D] -> [B, S_C, C]. */
    Tensor forward(Tensor x, Tensor sem, Weights w);

    @Override default void close() {}

    static void validate(Tensor x, Tensor sem, Weights w) {
        final String op = Ops.CEM_FUSION;
        Checks.notNull(op, "weights", w);
        Checks.shape(op, "x", x, -1, -1, -1);
        Checks.floating(op, "x", x);
        long b = x.size(0), c = x.size(2);
        Checks.shape(op, "sem", sem, b, -1, -1);
        long cd = sem.size(2);
        Checks.heads(op, c, w.heads());
        if (!(w.eps() > 0)) throw new KernelException(op + ": LayerNorm eps must be > 0, got " + w.eps());
        Checks.shape(op, "norm_q.weight", w.normQW(), c);
        Checks.shape(op, "norm_q.bias", w.normQB(), c);
        Checks.shape(op, "norm_kv.weight", w.normKvW(), cd);
        Checks.shape(op, "norm_kv.bias", w.normKvB(), cd);
        Checks.shape(op, "wq", w.wq(), c, c);
        Checks.shape(op, "bq", w.bq(), c);
        Checks.shape(op, "wk", w.wk(), c, cd);
        Checks.shape(op, "bk", w.bk(), c);
        Checks.shape(op, "wv", w.wv(), c, cd);
        Checks.shape(op, "bv", w.bv(), c);
        Checks.shape(op, "wo", w.wo(), c, c);
        Checks.shape(op, "bo", w.bo(), c);
        Checks.like(op, x, "sem", sem);
        for (Tensor t : new Tensor[] {w.normQW(), w.normQB(), w.normKvW(), w.normKvB(), w.wq(), w.bq(), w.wk(), w.bk(),
                w.wv(), w.bv(), w.wo(), w.bo()})
            Checks.like(op, x, "weight", t);
    }
}
