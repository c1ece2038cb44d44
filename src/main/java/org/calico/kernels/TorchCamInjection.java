package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * LibTorch composite of {@link CamInjectionOp} (reference, autograd): the gather is an index_select of rows
 * b*L + lastIdx[b] of hidden viewed [B*L, D]; the reintegration is clone + per-image slice add_ (autograd-safe).
 */
public final class TorchCamInjection implements CamInjectionOp {
    @Override
    public Tensor adapt(Tensor hidden, long[] lastIdx, AdaptWeights w) {
        CamInjectionOp.validateAdapt(hidden, lastIdx, w);
        long b = hidden.size(0), l = hidden.size(1), d = hidden.size(2);
        long[] flat = new long[lastIdx.length];
        for (int i = 0; i < flat.length; i++) flat[i] = i * l + lastIdx[i];
        Tensor idx = T.fromLongs(flat, flat.length);
        if (hidden.is_cuda()) idx = idx.to(hidden.device(), org.bytedeco.pytorch.global.torch.ScalarType.Long);
        Tensor last = hidden.reshape(b * l, d).index_select(0, idx); // [B, D]
        Tensor proj = T.linear(last, w.wa(), w.ba()).unsqueeze(1);  // [B, 1, Dq]
        Tensor q = w.queries().dim() == 3 ? w.queries() : w.queries().unsqueeze(0);
        return q.add(proj);                                        // [B, Nq, Dq]
    }

    @Override
    public Tensor reintegrate(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
        return addSpans(hidden.clone(), rows, starts, x, w);
    }

    @Override
    public Tensor reintegrateInPlace(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
        return addSpans(hidden, rows, starts, x, w);
    }

    private static Tensor addSpans(Tensor out, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        long nq = x.size(1);
        Tensor p = T.linear(x, w.wr(), w.br()); // [nImg, Nq, D]
        for (int j = 0; j < rows.length; j++) out.select(0, rows[j]).narrow(0, starts[j], nq).add_(p.select(0, j));
        return out;
    }
}
