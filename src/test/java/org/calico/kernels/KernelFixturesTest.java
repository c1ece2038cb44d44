package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.assertClose;
import static org.calico.kernels.KernelTestSupport.fixture;
import static org.calico.kernels.KernelTestSupport.longs;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.StateDict;
import org.junit.jupiter.api.Test;

/**
 * Both Java backends of every op against PyTorch: fixtures written by scripts/make_kernel_fixtures.py from
 * bench/gpu/reference.py (the composites the GPU check compares the CUDA kernels against). fp32, atol 1e-5 + rtol 1e-4.
 * This ties the Java composite, the native kernels and the Python reference of the GPU check to one definition.
 */
class KernelFixturesTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;

    @Test
    void qformerCrossAttention() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); StateDict f = fixture("qformer_cross_attention");
             NativeQFormerCrossAttention nat = new NativeQFormerCrossAttention()) {
            QFormerCrossAttentionOp.Weights w = new QFormerCrossAttentionOp.Weights(f.get("w.wq"), f.get("w.bq"), f.get("w.wk"),
                    f.get("w.bk"), f.get("w.wv"), f.get("w.bv"), 4);
            for (QFormerCrossAttentionOp op : new QFormerCrossAttentionOp[] {new TorchQFormerCrossAttention(), nat})
                assertClose(op.getClass().getSimpleName(), f.get("out.context"), op.forward(f.get("in.hidden"), f.get("in.encoder"), w), ATOL, RTOL);
        }
    }

    @Test
    void cemFusion() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); StateDict f = fixture("cem_fusion");
             NativeCemFusion nat = new NativeCemFusion()) {
            CemFusionOp.Weights w = new CemFusionOp.Weights(f.get("w.nq_w"), f.get("w.nq_b"), f.get("w.nkv_w"), f.get("w.nkv_b"),
                    f.get("w.wq"), f.get("w.bq"), f.get("w.wk"), f.get("w.bk"), f.get("w.wv"), f.get("w.bv"), f.get("w.wo"), f.get("w.bo"), 4);
            for (CemFusionOp op : new CemFusionOp[] {new TorchCemFusion(), nat})
                assertClose(op.getClass().getSimpleName(), f.get("out.y"), op.forward(f.get("in.x"), f.get("in.sem"), w), ATOL, RTOL);
        }
    }

    @Test
    void camInjection() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); StateDict f = fixture("cam_injection")) {
            CamInjectionOp.AdaptWeights aw = new CamInjectionOp.AdaptWeights(f.get("w.wa"), f.get("w.ba"), f.get("w.queries"));
            CamInjectionOp.ReintegrateWeights rw = new CamInjectionOp.ReintegrateWeights(f.get("w.wr"), f.get("w.br"));
            long[] last = longs(f.get("in.last_idx")), rows = longs(f.get("in.rows")), starts = longs(f.get("in.starts"));
            for (CamInjectionOp op : new CamInjectionOp[] {new TorchCamInjection(), new NativeCamInjection()}) {
                String n = op.getClass().getSimpleName();
                assertClose(n + " adapt", f.get("out.adapt"), op.adapt(f.get("in.hidden"), last, aw), ATOL, RTOL);
                assertClose(n + " reintegrate", f.get("out.reintegrate"), op.reintegrate(f.get("in.hidden"), rows, starts, f.get("in.x"), rw), ATOL, RTOL);
                Tensor h = f.get("in.hidden").clone();
                op.reintegrateInPlace(h, rows, starts, f.get("in.x"), rw);
                assertClose(n + " reintegrate in place", f.get("out.reintegrate"), h, ATOL, RTOL);
            }
        }
    }

    @Test
    void samMaskDecoding() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); StateDict f = fixture("sam_mask_decoding");
             NativeSamMaskDecoding nat = new NativeSamMaskDecoding()) {
            SamMaskDecodingOp.AttentionWeights aw = new SamMaskDecodingOp.AttentionWeights(f.get("w.wq"), f.get("w.bq"), f.get("w.wk"),
                    f.get("w.bk"), f.get("w.wv"), f.get("w.bv"), f.get("w.wo"), f.get("w.bo"), 2);
            SamMaskDecodingOp.UpscaleWeights uw = new SamMaskDecodingOp.UpscaleWeights(f.get("u.w1"), f.get("u.b1"), f.get("u.ln_w"),
                    f.get("u.ln_b"), f.get("u.w2"), f.get("u.b2"));
            Tensor tokens = f.get("in.tokens"), image = f.get("in.image"), keys = image.add(f.get("in.image_pe"));
            Tensor src = f.get("in.src");
            Tensor srcChannelsLast = src.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            for (SamMaskDecodingOp op : new SamMaskDecodingOp[] {new TorchSamMaskDecoding(), nat}) {
                String n = op.getClass().getSimpleName();
                assertClose(n + " t2i", f.get("out.t2i"), op.attention(tokens, keys, image, aw), ATOL, RTOL);
                assertClose(n + " i2t", f.get("out.i2t"), op.attention(keys, tokens, tokens, aw), ATOL, RTOL);
                assertClose(n + " upscale", f.get("out.upscaled"), op.upscale(src, uw), ATOL, RTOL);
                assertClose(n + " masks", f.get("out.masks"), op.masks(src, f.get("in.hyper_in"), uw), ATOL, RTOL);
                assertClose(n + " masks channels-last", f.get("out.masks"), op.masks(srcChannelsLast, f.get("in.hyper_in"), uw), ATOL, RTOL);
            }
        }
    }
}
