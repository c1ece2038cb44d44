package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.Init;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code PositionEmbeddingRandom} ({@code modeling/prompt_encoder.py}): random-Fourier positional encoding with
 * the persistent buffer {@code positional_encoding_gaussian_matrix [2, F]} (N(0, 1) at construction, stored in the
 * checkpoint). For coordinates c in [0, 1]^2: {@code p = 2*pi * ((2c - 1) @ G)}, encoding {@code [sin p, cos p]} (2F).
 */
public final class PositionEmbeddingRandom extends Module {
    public final int numPosFeats;
    public final Param gaussian;

    public PositionEmbeddingRandom(int numPosFeats, DType dtype, Dev dev) {
        super(dtype, dev);
        this.numPosFeats = numPosFeats;
        this.gaussian = buffer("positional_encoding_gaussian_matrix", null, Init.normal(1.0), 2, numPosFeats);
    }

    /** {@code _pe_encoding}: coords [..., 2] in [0, 1] -> [..., 2F]. */
    public Tensor encode(Tensor coords) {
        requireReady();
        Tensor c = coords.mul(T.s(2)).sub(T.s(1));          // 2 * coords - 1
        c = T.matmul(c, gaussian.t());
        c = c.mul(T.s(2 * Math.PI));                         // 2 * np.pi * coords
        return T.cat(-1, torch.sin(c), torch.cos(c));
    }

    /** {@code forward(size)}: the encoding of the pixel centres of an h x w grid -> [2F, h, w]. */
    public Tensor grid(long h, long w) {
        Tensor ones = T.ones(DType.F32, device(), h, w).to(gaussian.t().scalar_type());
        Tensor y = torch.cumsum(ones, 0).sub(T.s(0.5)).div(T.s(h));
        Tensor x = torch.cumsum(ones, 1).sub(T.s(0.5)).div(T.s(w));
        return encode(T.stack(-1, x, y)).permute(2, 0, 1);
    }

    /**
     * {@code forward_with_coords}: pixel coordinates (x, y) in an image of {@code imageH x imageW} (already shifted by
     * +0.5 where upstream does) [B, N, 2] -> [B, N, 2F].
     */
    public Tensor encodeCoords(Tensor coords, long imageH, long imageW) {
        Tensor x = coords.narrow(-1, 0, 1).div(T.s(imageW));
        Tensor y = coords.narrow(-1, 1, 1).div(T.s(imageH));
        // upstream casts to float; LISA/GLaMM cast to the matrix dtype (the same for F32 models)
        return encode(T.cat(-1, x, y).to(gaussian.t().scalar_type()));
    }
}
