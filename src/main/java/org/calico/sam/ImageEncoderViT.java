package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Conv2d;
import org.calico.nn.Init;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's image encoder ({@code ImageEncoderViT}, {@code segment_anything/modeling/image_encoder.py}, ViTDet-style):
 * patch embedding to an NHWC grid, absolute {@code pos_embed}, {@code depth} blocks (windowed attention except at
 * {@code global_attn_indexes}) and the neck Conv1x1 -> LayerNorm2d -> Conv3x3 -> LayerNorm2d (no conv biases, eps 1e-6).
 *
 * <p>State-dict names (upstream): {@code patch_embed.proj.{weight,bias}}, {@code pos_embed [1, g, g, D]},
 * {@code blocks.i.{norm1,attn.qkv,attn.proj,attn.rel_pos_h,attn.rel_pos_w,norm2,mlp.lin1,mlp.lin2}.*},
 * {@code neck.0.weight [C, D, 1, 1]}, {@code neck.1.{weight,bias}}, {@code neck.2.weight [C, C, 3, 3]},
 * {@code neck.3.{weight,bias}}.
 *
 * <p>forward: x [B, 3, S, S] (normalised, padded) -> [B, C, S/p, S/p]. The result has channels-last strides (the
 * mask decoder reads it token-major as upstream's {@code flatten(2).permute(0, 2, 1)}); its values are upstream's.
 */
public final class ImageEncoderViT extends Module {
    public final ImageEncoderConfig config;
    public final PatchEmbed patchEmbed;
    public final Param posEmbed;
    public final List<EncoderBlock> blocks;
    public final Conv2d neck0, neck2;
    public final LayerNorm2d neck1, neck3;

    public ImageEncoderViT(ImageEncoderConfig c) { this(c, DType.F32, Dev.CPU); }

    public ImageEncoderViT(ImageEncoderConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = c;
        this.patchEmbed = child("patch_embed", new PatchEmbed(c.inChans(), c.embedDim(), c.patchSize(), dtype, dev));
        this.posEmbed = c.useAbsPos() ? param("pos_embed", Init.normal(0.02), 1, c.gridSize(), c.gridSize(), c.embedDim()) : null;
        List<EncoderBlock> bs = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) bs.add(new EncoderBlock(c, i, dtype, dev));
        this.blocks = children("blocks", bs);
        this.neck0 = child("neck.0", new Conv2d(c.embedDim(), c.outChans(), 1, 1, 0, false, dtype, dev));
        this.neck1 = child("neck.1", new LayerNorm2d(c.outChans(), 1e-6, dtype, dev));
        this.neck2 = child("neck.2", new Conv2d(c.outChans(), c.outChans(), 3, 1, 1, false, dtype, dev));
        this.neck3 = child("neck.3", new LayerNorm2d(c.outChans(), 1e-6, dtype, dev));
    }

    /** x [B, inChans, S, S] -> image embeddings [B, C, S/p, S/p]. */
    public Tensor forward(Tensor x) { return forward(x, null); }

    /**
     * As {@link #forward(Tensor)}; when {@code blockOutputs} is non-null, each block's output [B, g, g, D] (NHWC, as
     * upstream's {@code blocks[i](x)}) is appended to it (for debugging a mismatch).
     */
    public Tensor forward(Tensor x, List<Tensor> blockOutputs) {
        requireReady();
        checkInput(x);
        Tensor h = patchEmbed.forward(x);                               // [B, g, g, D]
        if (posEmbed != null) h = h.add(posEmbed.t());
        for (EncoderBlock b : blocks) {
            Tensor in = h;
            h = T.scoped(() -> b.forward(in));         // each block's temporaries are freed before the next block
            if (blockOutputs != null) blockOutputs.add(h);
        }
        Tensor last = h;
        return T.scoped(() -> neck(last));
    }

    /**
     * The neck on the NHWC block output: x [B, g, g, D] -> [B, C, g, g]. The 1x1 conv runs as a linear map over the
     * channel dim, and both LayerNorm2d run channels-last; the 3x3 conv gets a channels-last NCHW view.
     */
    public Tensor neck(Tensor x) {
        Tensor w0 = neck0.weight.t().reshape(config.outChans(), config.embedDim());
        Tensor y = neck1.forwardChannelsLast(T.linear(x, w0, null));                  // [B, g, g, C]
        Tensor z = T.conv2d(y.permute(0, 3, 1, 2), neck2.weight.t(), null, 1, 1);      // [B, C, g, g]
        return neck3.forward(z);
    }

    private void checkInput(Tensor x) {
        int s = config.imgSize();
        if (x.dim() != 4 || x.size(1) != config.inChans() || x.size(2) != s || x.size(3) != s)
            throw new IllegalArgumentException("SAM image encoder expects a preprocessed batch [B, " + config.inChans() + ", " + s + ", " + s
                    + "] (resized to the longest side " + s + ", normalised, zero-padded), got " + T.shapeString(x));
        if (x.size(0) < 1) throw new IllegalArgumentException("SAM image encoder: empty batch " + T.shapeString(x));
    }
}
