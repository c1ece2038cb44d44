package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.T;

/**
 * LibTorch composite of {@link SamMaskDecodingOp}, exactly as segment-anything writes it (Attention.forward;
 * output_upscaling Sequential; {@code hyper_in @ upscaled.view(b, c, h * w)}): the reference and the autograd path.
 */
public final class TorchSamMaskDecoding implements SamMaskDecodingOp {
    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
        SamMaskDecodingOp.validateAttention(q, k, v, w);
        Tensor o = Composite.mha(T.linear(q, w.wq(), w.bq()), T.linear(k, w.wk(), w.bk()), T.linear(v, w.wv(), w.bv()), w.heads());
        return T.linear(o, w.wo(), w.bo());
    }

    @Override
    public Tensor upscale(Tensor src, UpscaleWeights w) {
        SamMaskDecodingOp.validateUpscale(src, null, w);
        return up(src, w);
    }

    @Override
    public Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w) {
        SamMaskDecodingOp.validateUpscale(src, hyperIn, w);
        Tensor u = up(src, w);
        long b = u.size(0), c = u.size(1), h = u.size(2), ww = u.size(3);
        return torch.matmul(hyperIn, u.reshape(b, c, h * ww)).reshape(b, -1, h, ww);
    }

    private static Tensor up(Tensor src, UpscaleWeights w) {
        Tensor x = T.convTranspose2d(src, w.w1(), w.b1(), 2);
        x = T.gelu(Composite.layerNorm2d(x, w.lnW(), w.lnB(), w.eps()));
        return T.gelu(T.convTranspose2d(x, w.w2(), w.b2(), 2));
    }
}
