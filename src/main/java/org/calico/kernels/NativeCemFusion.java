package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * Native {@link CemFusionOp} (CPU or CUDA): fused LayerNorm kernels on x and sem, q GEMM, one K|V GEMM into a
 * [B*S_D, 2C] buffer ([Wk; Wv] cached), fused attention reading heads in place, then
 * {@code out = x + attn Wo^T + bo} (residual and bias in the GEMM epilogue on the CPU tiles); the three projections go
 * through {@link NativeOps#linear} (our CPU GEMM on AVX-512 CPUs, else LibTorch's addmm). No autograd.
 */
public final class NativeCemFusion implements CemFusionOp {
    private final DerivedWeights kv = new DerivedWeights();

    @Override
    public Tensor forward(Tensor x, Tensor sem, Weights w) {
        CemFusionOp.validate(x, sem, w);
        NativeOps.requireKernelDtype(Ops.CEM_FUSION, x);
        long b = x.size(0), sc = x.size(1), c = x.size(2), sd = sem.size(1), cd = sem.size(2);
        int h = w.heads();
        long d = c / h;
        Tensor[] wkv = kv.get(new Tensor[] {w.wk(), w.bk(), w.wv(), w.bv()},
                src -> new Tensor[] {T.cat(0, src[0], src[2]).contiguous(), T.cat(0, src[1], src[3]).contiguous()});
        Tensor xq = NativeOps.layerNorm(x, w.normQW(), w.normQB(), w.eps());
        Tensor s = NativeOps.layerNorm(sem, w.normKvW(), w.normKvB(), w.eps());
        Tensor q = NativeOps.linear(xq.reshape(b * sc, c), w.wq(), w.bq(), null);
        Tensor kvp = NativeOps.linear(s.reshape(b * sd, cd), wkv[0], wkv[1], null);
        Tensor attn = NativeOps.emptyLike(x, b * sc, c);
        NativeOps.mha(NativeOps.MhaOperand.of(q, 0, sc * c, c), NativeOps.MhaOperand.of(kvp, 0, sd * 2 * c, 2 * c),
                NativeOps.MhaOperand.of(kvp, c, sd * 2 * c, 2 * c), NativeOps.MhaOperand.of(attn, 0, sc * c, c),
                b, h, sc, sd, d, 1.0 / Math.sqrt(d));
        return NativeOps.linear(attn, w.wo(), w.bo(), x.reshape(b * sc, c)).view(b, sc, c);
    }

    @Override public void close() { kv.close(); }
}
