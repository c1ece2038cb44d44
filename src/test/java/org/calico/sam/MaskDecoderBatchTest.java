package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.LayerNorm;
import org.calico.nn.Linear;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * The optimised decoder (shared image keys, ConvTranspose as matmul, channels-last LayerNorm2d, selected tokens only)
 * against an upstream-literal implementation written here (repeat_interleave of the image, explicit attention, NCHW
 * conv_transpose2d, LayerNorm2d by its formula), for many prompts, shared and per-prompt dense inputs, per-prompt images.
 */
class MaskDecoderBatchTest {
    static Tensor lin(Linear l, Tensor x) { return T.linear(x, l.weight.t(), l.bias.t()); }

    static Tensor ln(LayerNorm n, Tensor x) { return T.layerNorm(x, n.weight.t(), n.bias.t(), n.eps); }

    /** transformer.py Attention.forward, spelled out. */
    static Tensor attn(DecoderAttention a, Tensor q, Tensor k, Tensor v) {
        Tensor qh = sep(lin(a.qProj, q), a.numHeads), kh = sep(lin(a.kProj, k), a.numHeads), vh = sep(lin(a.vProj, v), a.numHeads);
        Tensor logits = T.matmul(qh, kh.permute(0, 1, 3, 2)).div(T.s(Math.sqrt(qh.size(3))));
        Tensor o = T.matmul(T.softmax(logits, -1), vh);
        o = o.transpose(1, 2).reshape(o.size(0), o.size(2), o.size(1) * o.size(3));
        return lin(a.outProj, o);
    }

    static Tensor sep(Tensor x, int h) { return x.reshape(x.size(0), x.size(1), h, x.size(2) / h).transpose(1, 2); }

    static Tensor layerNorm2dFormula(LayerNorm2d n, Tensor x) {
        Tensor u = x.mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor d = x.sub(u);
        Tensor s = d.pow(T.s(2)).mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        Tensor y = d.div(torch.sqrt(s.add(T.s(n.eps))));
        return n.weight.t().reshape(-1, 1, 1).mul(y).add(n.bias.t().reshape(-1, 1, 1));
    }

    /** mask_decoder.py predict_masks + slice, upstream-literal. image [1, C, h, w]. */
    static Tensor[] reference(MaskDecoder d, Tensor image, Tensor pe, Tensor sparse, Tensor dense, boolean multimask) {
        long n = sparse.size(0);
        Tensor out = T.cat(0, d.iouToken.weight.t(), d.maskTokens.weight.t()).unsqueeze(0).expand(n, -1, -1);
        Tensor tokens = T.cat(1, out, sparse);
        Tensor src = torch.repeat_interleave(image, n, new org.bytedeco.pytorch.LongOptional(0), new org.bytedeco.pytorch.LongOptional()).add(dense);
        Tensor pos = torch.repeat_interleave(pe, n, new org.bytedeco.pytorch.LongOptional(0), new org.bytedeco.pytorch.LongOptional());
        long c = src.size(1), h = src.size(2), w = src.size(3);
        Tensor keys = src.flatten(2, 3).permute(0, 2, 1), kpe = pos.flatten(2, 3).permute(0, 2, 1), queries = tokens;
        for (TwoWayAttentionBlock b : d.transformer.layers) {
            if (b.skipFirstLayerPe) queries = attn(b.selfAttn, queries, queries, queries);
            else {
                Tensor q = queries.add(tokens);
                queries = queries.add(attn(b.selfAttn, q, q, queries));
            }
            queries = ln(b.norm1, queries);
            Tensor q = queries.add(tokens), k = keys.add(kpe);
            queries = ln(b.norm2, queries.add(attn(b.crossAttnTokenToImage, q, k, keys)));
            queries = ln(b.norm3, queries.add(lin(b.mlp.lin2, T.relu(lin(b.mlp.lin1, queries)))));
            q = queries.add(tokens);
            k = keys.add(kpe);
            keys = ln(b.norm4, keys.add(attn(b.crossAttnImageToToken, k, q, queries)));
        }
        Tensor q = queries.add(tokens), k = keys.add(kpe);
        queries = ln(d.transformer.normFinalAttn, queries.add(attn(d.transformer.finalAttnTokenToImage, q, k, keys)));
        Tensor img = keys.transpose(1, 2).reshape(n, c, h, w);
        Tensor up = T.convTranspose2d(img, d.upscale0.weight.t(), d.upscale0.bias.t(), 2);
        up = T.gelu(layerNorm2dFormula(d.upscale1, up));
        up = T.gelu(T.convTranspose2d(up, d.upscale3.weight.t(), d.upscale3.bias.t(), 2));
        int kTok = d.config.numMaskTokens();
        Tensor[] hyper = new Tensor[kTok];
        for (int i = 0; i < kTok; i++) hyper[i] = d.hypernetworks.get(i).forward(queries.select(1, 1 + i));
        Tensor hyperIn = T.stack(1, hyper);
        Tensor masks = T.matmul(hyperIn, up.reshape(n, up.size(1), -1)).reshape(n, kTok, up.size(2), up.size(3));
        Tensor iou = d.iouHead.forward(queries.select(1, 0));
        int first = multimask ? 1 : 0, cnt = multimask ? kTok - 1 : 1;
        return new Tensor[] {masks.narrow(1, first, cnt), iou.narrow(1, first, cnt)};
    }

    static MaskDecoder decoder(int seed) {
        MaskDecoder d = new MaskDecoder(new MaskDecoderConfig(32, 2, 48, 4, 2, 3, 3, 24), DType.F32, Dev.CPU);
        d.initRandom(seed);
        return d;
    }

    @Test
    void manyPromptsOnOneImageMatchUpstreamLiteral() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); MaskDecoder d = decoder(3)) {
            T.seed(5);
            Tensor image = T.randn(DType.F32, Dev.CPU, 1, 32, 6, 5), pe = T.randn(DType.F32, Dev.CPU, 1, 32, 6, 5);
            Tensor sparse = T.randn(DType.F32, Dev.CPU, 11, 3, 32);                   // 11 prompts > UPSCALE_CHUNK
            Tensor shared = T.randn(DType.F32, Dev.CPU, 1, 32, 1, 1).expand(11, -1, 6, 5);   // like no_mask_embed
            Tensor perPrompt = T.randn(DType.F32, Dev.CPU, 11, 32, 6, 5);              // like mask prompts
            for (Tensor dense : new Tensor[] {shared, perPrompt}) {
                for (boolean mm : new boolean[] {false, true}) {
                    MaskDecoder.Output o = d.forward(image, pe, sparse, dense, mm);
                    Tensor[] ref = reference(d, image, pe, sparse, dense, mm);
                    assertArrayEquals(T.shape(ref[0]), T.shape(o.masks()));
                    assertArrayEquals(new long[] {11, mm ? 3 : 1, 24, 20}, T.shape(o.masks()));
                    assertTrue(T.maxAbsDiff(ref[0], o.masks()) < 2e-5, "masks " + T.maxAbsDiff(ref[0], o.masks()));
                    assertTrue(T.maxAbsDiff(ref[1], o.iouPredictions()) < 2e-5, "iou " + T.maxAbsDiff(ref[1], o.iouPredictions()));
                }
            }
            // one prompt alone gives the same as inside the batch
            MaskDecoder.Output all = d.forward(image, pe, sparse, shared, true);
            MaskDecoder.Output one = d.forward(image, pe, sparse.narrow(0, 7, 1), shared.narrow(0, 7, 1), true);
            assertTrue(T.maxAbsDiff(all.masks().narrow(0, 7, 1), one.masks()) < 2e-5);
        }
    }

    @Test
    void promptsOnDifferentImagesFollowTheImageIndex() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); MaskDecoder d = decoder(4)) {
            T.seed(6);
            Tensor images = T.randn(DType.F32, Dev.CPU, 2, 32, 4, 4), pe = T.randn(DType.F32, Dev.CPU, 1, 32, 4, 4);
            Tensor sparse = T.randn(DType.F32, Dev.CPU, 3, 1, 32);
            Tensor dense = T.randn(DType.F32, Dev.CPU, 1, 32, 1, 1).expand(3, -1, 4, 4);
            MaskDecoder.Output o = d.forward(images, T.fromLongs(new long[] {1, 0, 1}, 3), pe, sparse, dense, false);
            long[] img = {1, 0, 1};
            for (int i = 0; i < 3; i++) {
                Tensor[] ref = reference(d, images.narrow(0, img[i], 1), pe, sparse.narrow(0, i, 1), dense.narrow(0, i, 1), false);
                assertTrue(T.maxAbsDiff(ref[0], o.masks().narrow(0, i, 1)) < 2e-5, "prompt " + i);
            }
            // B == N pairs prompt i with image i
            MaskDecoder.Output paired = d.forward(images, pe, sparse.narrow(0, 0, 2), dense.narrow(0, 0, 2), false);
            Tensor[] ref1 = reference(d, images.narrow(0, 1, 1), pe, sparse.narrow(0, 1, 1), dense.narrow(0, 1, 1), false);
            assertTrue(T.maxAbsDiff(ref1[0], paired.masks().narrow(0, 1, 1)) < 2e-5);
        }
    }

    @Test
    void badShapesAreNamed() {
        try (PointerScope s = new PointerScope(); MaskDecoder d = decoder(1)) {
            Tensor pe = T.zeros(1, 32, 4, 4), sp = T.zeros(2, 1, 32), de = T.zeros(1, 32, 4, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.forward(T.zeros(3, 32, 4, 4), pe, sp, de, false));
            assertEquals("mask decoder: 3 image embeddings for 2 prompts; pass an image index per prompt", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> d.forward(T.zeros(1, 16, 4, 4), pe, sp, de, false));
            assertEquals("mask decoder: image embeddings must be [B, 32, h, w], got [1, 16, 4, 4]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> d.forward(T.zeros(2, 32, 4, 4), T.fromLongs(new long[] {0, 2}, 2), pe, sp, de, false));
            assertEquals("mask decoder: image index 2 outside 0..1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> d.forward(T.zeros(1, 32, 4, 4), pe, sp, T.zeros(1, 32, 5, 4), false));
            assertTrue(e.getMessage().startsWith("mask decoder: dense prompt embeddings must be [2 or 1, 32, 4, 4]"), e.getMessage());
        }
    }
}
