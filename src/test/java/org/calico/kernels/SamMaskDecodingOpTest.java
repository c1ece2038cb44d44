package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.linear;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * Native SAM mask-decoding pieces against the upstream composite: attention blocks in both directions with shared
 * (batch-1) inputs, output upscaling and the fused hypernetwork product. fp32 atol 1e-5 + rtol 1e-4 (masks: atol
 * 3e-5, the 32-term products of O(1) values), bf16 against the fp32 composite.
 */
class SamMaskDecodingOpTest {
    static SamMaskDecodingOp.AttentionWeights attn(DType dt, long c, long inner, int heads) {
        Tensor[] q = linear(dt, inner, c), k = linear(dt, inner, c), v = linear(dt, inner, c), o = linear(dt, c, inner);
        return new SamMaskDecodingOp.AttentionWeights(q[0], q[1], k[0], k[1], v[0], v[1], o[0], o[1], heads);
    }

    static SamMaskDecodingOp.UpscaleWeights up(DType dt, long cin, long c1, long c2) {
        return new SamMaskDecodingOp.UpscaleWeights(randn(dt, 1 / Math.sqrt(cin), cin, c1, 2, 2), randn(dt, 0.05, c1),
                randn(dt, 0.1, c1).add(T.s(1)), randn(dt, 0.05, c1), randn(dt, 1 / Math.sqrt(c1), c1, c2, 2, 2), randn(dt, 0.05, c2));
    }

    /** [N, C, h, w] with SAM's channels-last memory layout (the transformer output transposed and viewed). */
    static Tensor channelsLast(DType dt, long n, long c, long h, long w) {
        return randn(dt, 1, n, h * w, c).transpose(1, 2).view(n, c, h, w);
    }

    @Test
    void attentionBothDirectionsWithSharedInputs() {
        T.seed(51);
        try (NoGradGuard g = new NoGradGuard(); NativeSamMaskDecoding nat = new NativeSamMaskDecoding()) {
            TorchSamMaskDecoding ref = new TorchSamMaskDecoding();
            try (PointerScope s = new PointerScope()) {
                SamMaskDecodingOp.AttentionWeights cross = attn(DType.F32, 256, 128, 8);
                Tensor tokens = randn(4, 7, 256), image = randn(1, 4096, 256), pe = randn(1, 4096, 256);
                Tensor keys = image.add(pe);
                // token -> image, first block: the image keys/values are shared by all 4 prompts (batch 1)
                assertClose("t2i shared", ref.attention(tokens, keys, image, cross), nat.attention(tokens, keys, image, cross), 1e-5, 1e-4);
                // same with the keys repeated per prompt (later blocks)
                Tensor keysN = keys.expand(4, 4096, 256).contiguous(), imageN = image.expand(4, 4096, 256).contiguous();
                assertClose("t2i per prompt", ref.attention(tokens, keysN, imageN, cross), nat.attention(tokens, keysN, imageN, cross), 1e-5, 1e-4);
                // image -> token: 4096 queries over 7 tokens, query shared (projections folded into the 7 tokens)
                assertClose("i2t", ref.attention(keys, tokens, tokens, cross), nat.attention(keys, tokens, tokens, cross), 1e-5, 1e-4);
                // image -> token with the image per prompt (later blocks), values differing from keys
                Tensor vals = randn(4, 7, 256);
                assertClose("i2t per prompt", ref.attention(keysN, tokens, vals, cross), nat.attention(keysN, tokens, vals, cross), 1e-5, 1e-4);
                // one prompt's tokens shared by 4 image batches, and the folded path's direct entry on a small shape
                assertClose("i2t keys shared", ref.attention(keysN, tokens.narrow(0, 0, 1), vals.narrow(0, 0, 1), cross),
                        nat.attention(keysN, tokens.narrow(0, 0, 1), vals.narrow(0, 0, 1), cross), 1e-5, 1e-4);
                SamMaskDecodingOp.AttentionWeights small = attn(DType.F32, 24, 16, 2);
                Tensor qs = randn(3, 50, 24), ks = randn(3, 4, 24), vs = randn(3, 4, 24);
                assertClose("few keys folded", ref.attention(qs, ks, vs, small), NativeSamMaskDecoding.attentionFewKeys(qs, ks, vs, small), 1e-5, 1e-4);
                // the fold rule: CPU always (few keys, many queries); CUDA from 16384 query rows (4 prompts x 4096)
                assertTrue(NativeSamMaskDecoding.foldFewKeys(false, 1, 4096, 7, 8, 128, true));
                assertTrue(!NativeSamMaskDecoding.foldFewKeys(true, 1, 4096, 7, 8, 128, true), "one prompt on CUDA: launch-bound");
                assertTrue(NativeSamMaskDecoding.foldFewKeys(true, 4, 4096, 7, 8, 128, true));
                assertTrue(!NativeSamMaskDecoding.foldFewKeys(false, 1, 4096, 9, 8, 128, true), "2 H T > inner");
                assertTrue(!NativeSamMaskDecoding.foldFewKeys(false, 1, 100, 7, 8, 128, true), "few queries");
                assertTrue(!NativeSamMaskDecoding.foldFewKeys(false, 4, 4096, 7, 8, 128, false), "k and v of different batches");
                // self-attention on the tokens (internal 256, head 32), one prompt, one token
                SamMaskDecodingOp.AttentionWeights self = attn(DType.F32, 256, 256, 8);
                Tensor t1 = randn(1, 1, 256);
                assertClose("self 1 token", ref.attention(t1, t1, t1, self), nat.attention(t1, t1, t1, self), 1e-5, 1e-4);
                assertClose("self", ref.attention(tokens, tokens, tokens, self), nat.attention(tokens, tokens, tokens, self), 1e-5, 1e-4);
            }
        }
    }

    @Test
    void upscaleAndMasks() {
        T.seed(52);
        try (NoGradGuard g = new NoGradGuard(); NativeSamMaskDecoding nat = new NativeSamMaskDecoding()) {
            TorchSamMaskDecoding ref = new TorchSamMaskDecoding();
            try (PointerScope s = new PointerScope()) {
                // real SAM: 256 -> 64 -> 32 channels on a 64x64 embedding, 4 mask tokens
                SamMaskDecodingOp.UpscaleWeights w = up(DType.F32, 256, 64, 32);
                Tensor src = channelsLast(DType.F32, 2, 256, 64, 64);
                Tensor hyper = randn(2, 4, 32);
                assertClose("upscale", ref.upscale(src, w), nat.upscale(src, w), 1e-5, 1e-4);
                assertClose("masks", ref.masks(src, hyper, w), nat.masks(src, hyper, w), 3e-5, 1e-4);
                // odd sizes, channels-first contiguous input, one mask token
                SamMaskDecodingOp.UpscaleWeights w2 = up(DType.F32, 24, 12, 5);
                Tensor src2 = randn(3, 24, 5, 7);
                Tensor h2 = randn(3, 1, 5);
                assertClose("upscale odd", ref.upscale(src2, w2), nat.upscale(src2, w2), 1e-5, 1e-4);
                assertClose("masks odd", ref.masks(src2, h2, w2), nat.masks(src2, h2, w2), 1e-5, 1e-4);
                assertEquals("[0, 4, 256, 256]", T.shapeString(nat.masks(randn(0, 256, 64, 64), randn(0, 4, 32), w)));
            }
        }
    }

    @Test
    void bf16() {
        T.seed(53);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); NativeSamMaskDecoding nat = new NativeSamMaskDecoding()) {
            SamMaskDecodingOp.UpscaleWeights w = up(DType.BF16, 64, 16, 8);
            Tensor src = channelsLast(DType.BF16, 2, 64, 16, 16);
            Tensor hyper = randn(DType.BF16, 1, 2, 4, 8);
            SamMaskDecodingOp.UpscaleWeights w32 = new SamMaskDecodingOp.UpscaleWeights(f(w.w1()), f(w.b1()), f(w.lnW()), f(w.lnB()), f(w.w2()), f(w.b2()));
            TorchSamMaskDecoding ref = new TorchSamMaskDecoding();
            Tensor m = nat.masks(src, hyper, w);
            assertEquals(DType.BF16, T.dtype(m));
            double err = assertClose("bf16 masks", ref.masks(f(src), f(hyper), w32), m, 0.1, 0.03);
            double torchErr = T.maxAbsDiff(ref.masks(f(src), f(hyper), w32), ref.masks(src, hyper, w));
            assertTrue(err <= torchErr * 1.5 + 1e-2, "native bf16 " + err + " vs composite bf16 " + torchErr);
            SamMaskDecodingOp.AttentionWeights a = attn(DType.BF16, 32, 16, 2);
            Tensor q = randn(DType.BF16, 1, 3, 6, 32), k = randn(DType.BF16, 1, 1, 40, 32);
            assertClose("bf16 attention", ref.attention(q, k, k, a), nat.attention(q, k, k, a), 0.03, 0.02);
            // bf16 image -> token (folded projections) against the fp32 composite, no worse than the bf16 composite
            SamMaskDecodingOp.AttentionWeights c16 = attn(DType.BF16, 64, 32, 4);
            Tensor img = randn(DType.BF16, 1, 2, 300, 64), tok = randn(DType.BF16, 1, 2, 3, 64);
            SamMaskDecodingOp.AttentionWeights c32 = new SamMaskDecodingOp.AttentionWeights(f(c16.wq()), f(c16.bq()), f(c16.wk()),
                    f(c16.bk()), f(c16.wv()), f(c16.bv()), f(c16.wo()), f(c16.bo()), 4);
            Tensor exact = ref.attention(f(img), f(tok), f(tok), c32);
            double natErr = assertClose("bf16 i2t", exact, nat.attention(img, tok, tok, c16), 0.05, 0.03);
            double refErr = T.maxAbsDiff(exact, ref.attention(img, tok, tok, c16));
            assertTrue(natErr <= refErr * 1.5 + 1e-2, "native bf16 i2t " + natErr + " vs composite bf16 " + refErr);
        }
    }

    private static Tensor f(Tensor t) { return KernelTestSupport.f32(t); }

    @Test
    void badInputs() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); SamMaskDecodingOp op = Ops.samMaskDecoding()) {
            SamMaskDecodingOp.AttentionWeights a = attn(DType.F32, 32, 16, 2);
            KernelException b = assertThrows(KernelException.class, () -> op.attention(randn(3, 6, 32), randn(2, 40, 32), randn(2, 40, 32), a));
            assertTrue(b.getMessage().contains("batch sizes 3/2/2 of q/k/v must each be 1 or 3"), b.getMessage());
            KernelException v = assertThrows(KernelException.class, () -> op.attention(randn(3, 6, 32), randn(1, 40, 32), randn(1, 39, 32), a));
            assertTrue(v.getMessage().contains("'v' has shape [1, 39, 32], expected [*, 40, 32]"), v.getMessage());
            SamMaskDecodingOp.UpscaleWeights w = up(DType.F32, 16, 8, 4);
            KernelException c = assertThrows(KernelException.class, () -> op.upscale(randn(1, 15, 4, 4), w));
            assertTrue(c.getMessage().contains("'output_upscaling.0.weight' has shape [16, 8, 2, 2], expected [15, *, 2, 2]"), c.getMessage());
            KernelException h = assertThrows(KernelException.class, () -> op.masks(randn(2, 16, 4, 4), randn(2, 3, 5), w));
            assertTrue(h.getMessage().contains("'hyper_in' has shape [2, 3, 5], expected [2, *, 4]"), h.getMessage());
        }
    }
}
