package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.LayerNorm;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * One ViT block of SAM's image encoder ({@code Block} in {@code modeling/image_encoder.py}), pre-LN:
 * {@code x = x + unpartition(attn(partition(norm1(x)))); x = x + mlp(norm2(x))}. Window blocks pad the grid at the
 * bottom/right to a multiple of the window (64 -> 70 for the released models; the zero tokens are padded after
 * {@code norm1} and take part in the attention as keys, as upstream), split it into windows, attend within each window,
 * and crop the padding off again. Global blocks ({@code windowSize == 0}) attend over the whole grid.
 * Children: {@code norm1}, {@code attn}, {@code norm2}, {@code mlp}.
 */
public final class EncoderBlock extends Module {
    public final LayerNorm norm1, norm2;
    public final RelPosAttention attn;
    public final MlpBlock mlp;
    public final int windowSize;

    public EncoderBlock(ImageEncoderConfig c, int index, DType dtype, Dev dev) {
        super(dtype, dev);
        this.windowSize = c.windowSizeOf(index);
        int size = windowSize == 0 ? c.gridSize() : windowSize;
        this.norm1 = child("norm1", new LayerNorm(c.embedDim(), c.layerNormEps(), dtype, dev));
        this.attn = child("attn", new RelPosAttention(c.embedDim(), c.numHeads(), c.qkvBias(), c.useRelPos(), size, dtype, dev));
        this.norm2 = child("norm2", new LayerNorm(c.embedDim(), c.layerNormEps(), dtype, dev));
        this.mlp = child("mlp", new MlpBlock(c.embedDim(), c.mlpDim(), true, dtype, dev));
    }

    /** x [B, H, W, D] -> [B, H, W, D]. */
    public Tensor forward(Tensor x) {
        requireReady();
        Tensor shortcut = x;
        Tensor h = norm1.forward(x);
        Tensor normed = h;
        h = T.scoped(() -> {
            if (windowSize == 0) return attn.forward(normed);
            return windowUnpartition(attn.forward(windowPartition(normed, windowSize)), windowSize, normed.size(1), normed.size(2));
        });
        Tensor y = shortcut.add(h);
        return y.add(T.scoped(() -> mlp.forward(norm2.forward(y))));
    }

    /** {@code window_partition}: x [B, H, W, C] -> [B * nWin, ws, ws, C] after zero padding H, W up to multiples of ws. */
    public static Tensor windowPartition(Tensor x, long ws) {
        long b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
        long padH = (ws - h % ws) % ws, padW = (ws - w % ws) % ws;
        if (padH > 0 || padW > 0) x = T.pad(x, 0, 0, 0, padW, 0, padH);
        long hp = h + padH, wp = w + padW;
        return x.reshape(b, hp / ws, ws, wp / ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, c);
    }

    /** {@code window_unpartition}: windows [B * nWin, ws, ws, C] -> [B, H, W, C] (padding cropped). */
    public static Tensor windowUnpartition(Tensor windows, long ws, long h, long w) {
        long hp = h + (ws - h % ws) % ws, wp = w + (ws - w % ws) % ws;
        long b = windows.size(0) / (hp * wp / ws / ws);
        Tensor x = windows.reshape(b, hp / ws, wp / ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1);
        if (hp > h || wp > w) x = x.narrow(1, 0, h).narrow(2, 0, w);
        return x;
    }
}
