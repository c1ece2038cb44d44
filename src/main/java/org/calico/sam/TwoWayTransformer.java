package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.LayerNorm;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code TwoWayTransformer} ({@code segment_anything/modeling/transformer.py}): {@code depth} two-way blocks
 * (the first without PE/residual in its self-attention), then a final token-to-image attention with residual and
 * {@code norm_final_attn} (eps 1e-5). Children: {@code layers.i}, {@code final_attn_token_to_image},
 * {@code norm_final_attn}.
 */
public final class TwoWayTransformer extends Module {
    public final List<TwoWayAttentionBlock> layers;
    public final DecoderAttention finalAttnTokenToImage;
    public final LayerNorm normFinalAttn;

    public TwoWayTransformer(MaskDecoderConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        List<TwoWayAttentionBlock> ls = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) ls.add(new TwoWayAttentionBlock(c, i == 0, dtype, dev));
        this.layers = children("layers", ls);
        this.finalAttnTokenToImage = child("final_attn_token_to_image",
                new DecoderAttention(c.transformerDim(), c.numHeads(), c.attentionDownsampleRate(), dtype, dev));
        this.normFinalAttn = child("norm_final_attn", new LayerNorm(c.transformerDim(), 1e-5, dtype, dev));
    }

    /**
     * @param imageTokens    image embedding (+ dense prompt) as tokens [N or 1, HW, C] (upstream's
     *                       {@code image_embedding.flatten(2).permute(0, 2, 1)})
     * @param imagePeTokens  positional encoding tokens [1, HW, C]
     * @param pointEmbedding prompt tokens [N, T, C]
     * @return processed tokens [N, T, C] and image tokens [N, HW, C] (or [1, HW, C] when N = 1)
     */
    public TwoWayAttentionBlock.Output forward(Tensor imageTokens, Tensor imagePeTokens, Tensor pointEmbedding) {
        requireReady();
        Tensor queries = pointEmbedding, keys = imageTokens;
        for (TwoWayAttentionBlock layer : layers) {
            Tensor qIn = queries, kIn = keys;
            Tensor[] o = T.scopedAll(() -> {                   // each block's temporaries are freed before the next
                TwoWayAttentionBlock.Output r = layer.forward(qIn, kIn, pointEmbedding, imagePeTokens);
                return new Tensor[] {r.queries(), r.keys()};
            });
            queries = o[0];
            keys = o[1];
        }
        Tensor q = queries.add(pointEmbedding);
        Tensor k = keys.add(imagePeTokens);
        Tensor attnOut = finalAttnTokenToImage.forward(q, k, keys);
        queries = normFinalAttn.forward(queries.add(attnOut));
        return new TwoWayAttentionBlock.Output(queries, keys);
    }
}
