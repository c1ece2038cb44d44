package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.Conv2d;
import org.calico.nn.Embedding;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code PromptEncoder} ({@code segment_anything/modeling/prompt_encoder.py}) with the LISA/GLaMM
 * {@code text_embeds} extension ({@code model/segment_anything/modeling/prompt_encoder.py} in LISA): points, boxes, a
 * low-resolution mask and projected text ([SEG]) embeddings become sparse tokens [B, n, C] and a dense map [B, C, h, w].
 *
 * <ul>
 *   <li>points (x, y) in the padded S x S input frame, shifted by +0.5 to the pixel centre, random-Fourier encoded
 *       ({@code pe_layer}); label 1 adds {@code point_embeddings.1}, label 0 adds {@code point_embeddings.0}, label -1
 *       (padding / not-a-point) replaces the encoding with {@code not_a_point_embed}; other labels keep the bare
 *       encoding. Without a box, one padding point (0, 0) with label -1 is appended, as upstream.</li>
 *   <li>a box (x0, y0, x1, y1): two corner tokens (+0.5 shift) plus {@code point_embeddings.2} / {@code .3}.</li>
 *   <li>a mask [B, 1, 4h, 4w] (logits): {@code mask_downscaling} Conv2x2 -> LN2d -> GELU -> Conv2x2 -> LN2d -> GELU ->
 *       Conv1x1 gives the dense embedding; otherwise {@code no_mask_embed} broadcast to [B, C, h, w].</li>
 *   <li>text embeddings [B, T, C] are appended to the sparse tokens unchanged (LISA/GLaMM/CALICO [SEG] prompts).</li>
 * </ul>
 * Sparse token order: points (+padding point), box corners, text embeddings.
 */
public final class PromptEncoder extends Module {
    public final PromptEncoderConfig config;
    public final PositionEmbeddingRandom peLayer;
    public final List<Embedding> pointEmbeddings;
    public final Embedding notAPointEmbed, noMaskEmbed;
    public final Conv2d maskConv0, maskConv3, maskConv6;
    public final LayerNorm2d maskNorm1, maskNorm4;

    public PromptEncoder(PromptEncoderConfig c) { this(c, DType.F32, Dev.CPU); }

    public PromptEncoder(PromptEncoderConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = c;
        this.peLayer = child("pe_layer", new PositionEmbeddingRandom(c.embedDim() / 2, dtype, dev));
        List<Embedding> pts = new ArrayList<>();
        for (int i = 0; i < 4; i++) pts.add(new Embedding(1, c.embedDim(), dtype, dev));
        this.pointEmbeddings = children("point_embeddings", pts);
        this.notAPointEmbed = child("not_a_point_embed", new Embedding(1, c.embedDim(), dtype, dev));
        int c4 = c.maskInChans() / 4;
        this.maskConv0 = child("mask_downscaling.0", new Conv2d(1, c4, 2, 2, 0, true, dtype, dev));
        this.maskNorm1 = child("mask_downscaling.1", new LayerNorm2d(c4, 1e-6, dtype, dev));
        this.maskConv3 = child("mask_downscaling.3", new Conv2d(c4, c.maskInChans(), 2, 2, 0, true, dtype, dev));
        this.maskNorm4 = child("mask_downscaling.4", new LayerNorm2d(c.maskInChans(), 1e-6, dtype, dev));
        this.maskConv6 = child("mask_downscaling.6", new Conv2d(c.maskInChans(), c.embedDim(), 1, 1, 0, true, dtype, dev));
        this.noMaskEmbed = child("no_mask_embed", new Embedding(1, c.embedDim(), dtype, dev));
    }

    /** Sparse [B, n, C] and dense [B, C, h, w] prompt embeddings. */
    public record Embeddings(Tensor sparse, Tensor dense) {}

    /** {@code get_dense_pe()}: the positional encoding of the image-embedding grid -> [1, C, h, w]. */
    public Tensor densePe() {
        requireReady();
        return peLayer.grid(config.embeddingH(), config.embeddingW()).unsqueeze(0);
    }

    /** Upstream {@code forward(points, boxes, masks)}; any argument may be null (points = coords + labels). */
    public Embeddings forward(Tensor pointCoords, Tensor pointLabels, Tensor boxes, Tensor masks) {
        return forward(pointCoords, pointLabels, boxes, masks, null);
    }

    /**
     * LISA/GLaMM {@code forward(points, boxes, masks, text_embeds)}.
     *
     * @param pointCoords [B, N, 2] (x, y) pixels in the S x S input frame, or null
     * @param pointLabels [B, N] integer labels (1 fg, 0 bg, -1 not-a-point), required with coords
     * @param boxes       [B, 4] XYXY in the input frame, or null
     * @param masks       [B, 1, 4h, 4w] mask logits, or null
     * @param textEmbeds  [B, T, C] projected text embeddings, or null
     * @return sparse [B, n, C] (n = N (+1 padding point when no box) + 2 per box + T), dense [B, C, h, w]
     */
    public Embeddings forward(Tensor pointCoords, Tensor pointLabels, Tensor boxes, Tensor masks, Tensor textEmbeds) {
        requireReady();
        long bs = batchSize(pointCoords, pointLabels, boxes, masks, textEmbeds);
        long c = config.embedDim();
        List<Tensor> parts = new ArrayList<>();
        if (pointCoords != null) parts.add(embedPoints(pointCoords, pointLabels, boxes == null));
        if (boxes != null) parts.add(embedBoxes(boxes));
        if (textEmbeds != null) parts.add(textEmbeds.to(pointEmbeddings.get(0).weight.t().scalar_type()));
        Tensor sparse = parts.isEmpty() ? T.empty(dtype(), device(), bs, 0, c) : parts.size() == 1 ? parts.get(0) : T.cat(1, parts);
        Tensor dense = masks != null ? embedMasks(masks) : noMaskDense(bs);
        return new Embeddings(sparse, dense);
    }

    /** LISA/GLaMM/CALICO [SEG] prompts: {@code forward(None, None, None, text_embeds)}; textEmbeds [N, T, C]. */
    public Embeddings textEmbeds(Tensor textEmbeds) { return forward(null, null, null, null, textEmbeds); }

    /** {@code no_mask_embed} broadcast to [bs, C, h, w] (an expanded view, no copy). */
    public Tensor noMaskDense(long bs) {
        return noMaskEmbed.weight.t().reshape(1, -1, 1, 1).expand(bs, -1, config.embeddingH(), config.embeddingW());
    }

    /** {@code _embed_points}: coords [B, N, 2], labels [B, N] -> [B, N (+1), C]. */
    public Tensor embedPoints(Tensor coords, Tensor labels, boolean pad) {
        Tensor pts = coords.add(T.s(0.5));                                     // shift to the pixel centre
        Tensor lab = labels.to(torch.ScalarType.Long);
        if (pad) {
            long b = coords.size(0);
            pts = T.cat(1, pts, T.zeros(T.dtype(pts), device(), b, 1, 2));
            lab = T.cat(1, lab, T.full(DType.I64, device(), -1, b, 1));
        }
        Tensor pe = peLayer.encodeCoords(pts, config.inputH(), config.inputW());    // [B, n, C]
        Tensor l = lab.unsqueeze(-1);
        Tensor isPad = l.eq(T.s(-1)), isNeg = l.eq(T.s(0)), isPos = l.eq(T.s(1));
        pe = pe.masked_fill(isPad, T.s(0.0));
        pe = pe.add(isPad.to(pe.scalar_type()).mul(notAPointEmbed.weight.t()));
        pe = pe.add(isNeg.to(pe.scalar_type()).mul(pointEmbeddings.get(0).weight.t()));
        pe = pe.add(isPos.to(pe.scalar_type()).mul(pointEmbeddings.get(1).weight.t()));
        return pe;
    }

    /** {@code _embed_boxes}: boxes [B, 4] -> corner tokens [B, 2, C]. */
    public Tensor embedBoxes(Tensor boxes) {
        Tensor coords = boxes.add(T.s(0.5)).reshape(-1, 2, 2);
        Tensor corners = peLayer.encodeCoords(coords, config.inputH(), config.inputW());
        Tensor c0 = corners.narrow(1, 0, 1).add(pointEmbeddings.get(2).weight.t());
        Tensor c1 = corners.narrow(1, 1, 1).add(pointEmbeddings.get(3).weight.t());
        return T.cat(1, c0, c1);
    }

    /** {@code _embed_masks}: {@code mask_downscaling(masks)}, [B, 1, 4h, 4w] -> [B, C, h, w]. */
    public Tensor embedMasks(Tensor masks) {
        Tensor x = maskConv0.forward(masks);
        x = T.gelu(maskNorm1.forward(x));
        x = maskConv3.forward(x);
        x = T.gelu(maskNorm4.forward(x));
        return maskConv6.forward(x);
    }

    private long batchSize(Tensor coords, Tensor labels, Tensor boxes, Tensor masks, Tensor text) {
        long c = config.embedDim();
        List<String> sizes = new ArrayList<>();
        long bs = -1;
        if (coords != null) {
            if (labels == null) throw new IllegalArgumentException("prompt encoder: point coordinates given without point labels");
            if (coords.dim() != 3 || coords.size(2) != 2)
                throw new IllegalArgumentException("prompt encoder: point coordinates must be [B, N, 2], got " + T.shapeString(coords));
            if (labels.dim() != 2 || labels.size(0) != coords.size(0) || labels.size(1) != coords.size(1))
                throw new IllegalArgumentException("prompt encoder: point labels must be [B, N] = [" + coords.size(0) + ", " + coords.size(1)
                        + "] to match the coordinates, got " + T.shapeString(labels));
            bs = coords.size(0);
            sizes.add("points " + coords.size(0));
        } else if (labels != null) {
            throw new IllegalArgumentException("prompt encoder: point labels given without point coordinates");
        }
        if (boxes != null) {
            if (boxes.dim() != 2 || boxes.size(1) != 4)
                throw new IllegalArgumentException("prompt encoder: boxes must be [B, 4] (x0, y0, x1, y1), got " + T.shapeString(boxes));
            if (bs < 0) bs = boxes.size(0);
            sizes.add("boxes " + boxes.size(0));
        }
        if (masks != null) {
            if (masks.dim() != 4 || masks.size(1) != 1 || masks.size(2) != config.maskInputH() || masks.size(3) != config.maskInputW())
                throw new IllegalArgumentException("prompt encoder: mask input must be [B, 1, " + config.maskInputH() + ", " + config.maskInputW()
                        + "] (low-resolution logits), got " + T.shapeString(masks));
            if (bs < 0) bs = masks.size(0);
            sizes.add("masks " + masks.size(0));
        }
        if (text != null) {
            if (text.dim() != 3 || text.size(2) != c)
                throw new IllegalArgumentException("prompt encoder: text embeddings must be [B, T, " + c + "], got " + T.shapeString(text));
            if (bs < 0) bs = text.size(0);
            sizes.add("text " + text.size(0));
        }
        if (bs < 0) return 1;
        for (String s : sizes)
            if (Long.parseLong(s.substring(s.indexOf(' ') + 1)) != bs)
                throw new IllegalArgumentException("prompt encoder: prompt batch sizes differ (" + String.join(", ", sizes) + ")");
        return bs;
    }
}
