package org.calico.llm;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Rotary position embedding in HF's "rotate_half" form ({@code modeling_llama.py::LlamaRotaryEmbedding},
 * {@code apply_rotary_pos_emb}, rope_type "default"):
 * {@code inv_freq[i] = 1 / theta^(2i / d)} computed in float32, {@code freqs = pos * inv_freq},
 * {@code emb = cat(freqs, freqs)}, and {@code x' = x * cos(emb) + rotate_half(x) * sin(emb)} with
 * {@code rotate_half(x) = cat(-x[d/2:], x[:d/2])}: dims i and i + d/2 rotate together (the HF-permuted q/k layout).
 */
public final class Rope {
    private Rope() {}

    /** inv_freq [d/2] in F32 on the CPU, exactly as HF computes it ({@code base ** (arange(0, d, 2).float() / d)}). */
    public static Tensor invFreq(int headDim, double theta) {
        Tensor idx = torch.arange(new Scalar(0), new Scalar(headDim), new Scalar(2), new TensorOptions(torch.ScalarType.Long));
        Tensor expo = T.div(T.to(idx, DType.F32), headDim);
        return torch.pow(new Scalar(theta), expo).reciprocal();
    }

    /**
     * cos and sin of the rotary angles. positions: I64 [B, L]; invFreq: F32 [d/2] on the positions' device.
     * Returns {cos, sin}, each [B, L, d] in {@code dtype} (computed in F32, then cast, like HF).
     */
    public static Tensor[] cosSin(Tensor positions, Tensor invFreq, DType dtype) {
        Tensor freqs = T.mul(T.to(positions, DType.F32).unsqueeze(-1), invFreq); // [B, L, d/2]
        Tensor emb = T.cat(-1, freqs, freqs);
        Tensor cos = emb.cos(), sin = emb.sin();
        if (dtype != DType.F32) {
            cos = T.to(cos, dtype);
            sin = T.to(sin, dtype);
        }
        return new Tensor[] {cos, sin};
    }

    /** x [B, H, L, d] rotated with cos/sin [B, L, d]. */
    public static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        Tensor c = cos.unsqueeze(1), s = sin.unsqueeze(1);
        return T.add(T.mul(x, c), T.mul(rotateHalf(x), s));
    }

    /** cat(-x[..., d/2:], x[..., :d/2]). */
    public static Tensor rotateHalf(Tensor x) {
        long d = x.size(-1), h = d / 2;
        return T.cat(-1, x.narrow(-1, h, h).neg(), x.narrow(-1, 0, h));
    }
}
