package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.LayerNorm;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;

/**
 * One {@code TwoWayAttentionBlock} ({@code segment_anything/modeling/transformer.py}):
 * (1) self-attention of the tokens (the first block: no PE and <b>no residual</b>, {@code queries = attn(q, q, q)}),
 * norm1; (2) token-to-image cross-attention, residual, norm2; (3) MLP C -> mlp_dim -> C with ReLU, residual, norm3;
 * (4) image-to-token cross-attention, residual on the image keys, norm4. LayerNorm eps 1e-5 (torch default).
 *
 * <p>Batching: tokens are per prompt [N, T, C]; the image keys may be one tensor shared by every prompt ([1, HW, C],
 * the image embedding plus a prompt-independent dense embedding) or per prompt ([N, HW, C]). Shared keys are projected
 * once (see {@link DecoderAttention#forward}); the outputs equal upstream's, which repeats the image N times.
 */
public final class TwoWayAttentionBlock extends Module {
    public final DecoderAttention selfAttn, crossAttnTokenToImage, crossAttnImageToToken;
    public final LayerNorm norm1, norm2, norm3, norm4;
    public final MlpBlock mlp;
    public final boolean skipFirstLayerPe;

    public TwoWayAttentionBlock(MaskDecoderConfig c, boolean skipFirstLayerPe, DType dtype, Dev dev) {
        super(dtype, dev);
        int d = c.transformerDim();
        this.selfAttn = child("self_attn", new DecoderAttention(d, c.numHeads(), 1, dtype, dev));
        this.norm1 = child("norm1", new LayerNorm(d, 1e-5, dtype, dev));
        this.crossAttnTokenToImage = child("cross_attn_token_to_image", new DecoderAttention(d, c.numHeads(), c.attentionDownsampleRate(), dtype, dev));
        this.norm2 = child("norm2", new LayerNorm(d, 1e-5, dtype, dev));
        this.mlp = child("mlp", new MlpBlock(d, c.mlpDim(), false, dtype, dev));
        this.norm3 = child("norm3", new LayerNorm(d, 1e-5, dtype, dev));
        this.norm4 = child("norm4", new LayerNorm(d, 1e-5, dtype, dev));
        this.crossAttnImageToToken = child("cross_attn_image_to_token", new DecoderAttention(d, c.numHeads(), c.attentionDownsampleRate(), dtype, dev));
        this.skipFirstLayerPe = skipFirstLayerPe;
    }

    /** Updated tokens [N, T, C] and image keys [N, HW, C]. */
    public record Output(Tensor queries, Tensor keys) {}

    /**
     * @param queries  tokens [N, T, C]
     * @param keys     image tokens [N or 1, HW, C]
     * @param queryPe  the original prompt tokens [N, T, C]
     * @param keyPe    image positional encoding [1, HW, C]
     */
    public Output forward(Tensor queries, Tensor keys, Tensor queryPe, Tensor keyPe) {
        requireReady();
        if (skipFirstLayerPe) {
            queries = selfAttn.forward(queries, queries, queries);
        } else {
            Tensor q = queries.add(queryPe);
            queries = queries.add(selfAttn.forward(q, q, queries));
        }
        queries = norm1.forward(queries);

        Tensor q = queries.add(queryPe);
        Tensor k = keys.add(keyPe);
        Tensor attnOut = crossAttnTokenToImage.forward(q, k, keys);           // shared keys (batch 1) are read once
        queries = norm2.forward(queries.add(attnOut));

        queries = norm3.forward(queries.add(mlp.forward(queries)));

        q = queries.add(queryPe);
        attnOut = crossAttnImageToToken.forward(k, q, queries);                // shared queries (batch 1) are projected once
        keys = norm4.forward(keys.add(attnOut));
        return new Output(queries, keys);
    }
}
