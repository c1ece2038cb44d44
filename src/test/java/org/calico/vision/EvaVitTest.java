package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.io.StateDict;
import org.calico.nn.ModuleLoadException;
import org.calico.parity.ParityCase;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** EVA-CLIP / BLIP-2 vision: LAVIS and HF (fused / q_bias+v_bias) layouts, bf16, input checks. */
class EvaVitTest {
    /** The HF fixture weights under LAVIS names (k bias dropped, as in real EVA checkpoints). */
    static void toLavis(SafeTensorsFile w, String hfPrefix, StateDict out, int width) {
        for (String k : w.names()) {
            if (!k.startsWith(hfPrefix)) continue;
            String r = k.substring(hfPrefix.length());
            Tensor t = w.load(k);
            if (r.endsWith("self_attn.qkv.bias")) {
                String blk = "visual_encoder.blocks." + r.split("\\.")[2] + ".attn.";
                out.put(blk + "q_bias", t.narrow(0, 0, width).clone());
                out.put(blk + "v_bias", t.narrow(0, 2L * width, width).clone());
                continue;
            }
            String o = r.replace("embeddings.class_embedding", "cls_token").replace("embeddings.position_embedding", "pos_embed")
                    .replace("embeddings.patch_embedding", "patch_embed.proj").replace("encoder.layers.", "blocks.")
                    .replace("layer_norm", "norm").replace("self_attn.qkv", "attn.qkv").replace("self_attn.projection", "attn.proj");
            out.put(o.startsWith("post_layernorm.") ? "ln_vision." + o.substring("post_layernorm.".length()) : "visual_encoder." + o, t);
        }
    }

    @Test
    void lavisAndHfQvBiasLayoutsMatchTheHfFixture() {
        Path dir = VisionParityTest.caseDir("hf_blip2_vision");
        ParityCase c = ParityCase.read(dir);
        EvaVitConfig cfg = EvaVitConfig.fromHfJson(c.config());
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             StateDict lavis = new StateDict("lavis"); StateDict qv = new StateDict("hf q_bias/v_bias");
             EvaVit a = new EvaVit(cfg, DType.F32, Dev.CPU); EvaVit b = new EvaVit(cfg, DType.F32, Dev.CPU)) {
            toLavis(w, "", lavis, 64);
            lavis.put("Qformer.bert.embeddings.LayerNorm.weight", T.ones(DType.F32, Dev.CPU, 3)); // not the ViT's
            a.load(lavis, EvaVit.LAVIS, true);
            for (String k : w.names()) {
                Tensor t = w.load(k);
                if (k.endsWith("self_attn.qkv.bias")) {
                    qv.put(k.replace("qkv.bias", "q_bias"), t.narrow(0, 0, 64).clone());
                    qv.put(k.replace("qkv.bias", "v_bias"), t.narrow(0, 128, 64).clone());
                } else qv.put(k, t);
            }
            b.load(qv, EvaVit.hfFor(qv.names(), ""));
            assertEquals("BLIP-2 vision HF (q_bias/v_bias)", EvaVit.hfFor(qv.names(), "").name());
            // the k slice of the fused bias is zero, as (q_bias, 0, v_bias)
            Tensor kb = a.blocks.get(1).qkv.bias.t().narrow(0, 64, 64);
            assertEquals(0.0, T.item(kb.abs().sum()), 0.0);
            Tensor px = io.load("pixel_values");
            Tensor exp = io.load("last_hidden_state");
            Tensor ra = a.forward(px), rb = b.forward(px);
            assertTrue(T.maxAbsDiff(ra, exp) < 2e-5, "lavis " + T.maxAbsDiff(ra, exp));
            assertTrue(VisionTestSupport.bitEqual(ra, rb));
            // a strict load refuses a checkpoint key nobody maps
            assertThrows(ModuleLoadException.class, () -> a.load(lavis, EvaVit.LAVIS, false));
        }
    }

    @Test
    void bf16RunsWithFp32LnVision() {
        Path dir = VisionParityTest.caseDir("hf_blip2_vision");
        ParityCase c = ParityCase.read(dir);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             EvaVit m = new EvaVit(EvaVitConfig.fromHfJson(c.config()), DType.BF16, Dev.CPU)) {
            m.load(w, EvaVit.HF);
            Tensor out = m.forward(io.load("pixel_values"));
            assertEquals(DType.BF16, T.dtype(out));
            double err = T.maxAbsDiff(out, io.load("last_hidden_state"));
            assertTrue(err < 0.15, "bf16 error " + err);
        }
    }

    @Test
    void inputSizeAndShapeChecks() {
        try (PointerScope s = new PointerScope(); EvaVit m = new EvaVit(EvaVitConfig.tiny(), DType.F32, Dev.CPU)) {
            m.initRandom(5);
            assertArrayEquals(new long[] {3, 17, 64}, T.shape(m.forward(VisionTestSupport.randn(3, 3, 32, 32))));
            var e = assertThrows(IllegalArgumentException.class, () -> m.forward(VisionTestSupport.randn(1, 3, 48, 48)));
            assertTrue(e.getMessage().contains("[B, 3, 32, 32]") && e.getMessage().contains("[1, 3, 48, 48]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.forward(VisionTestSupport.randn(3, 32, 32)));
        }
        assertEquals(257, EvaVitConfig.blip2EvaG().numTokens());
        assertEquals(88, EvaVitConfig.blip2EvaG().headDim());
        assertThrows(IllegalArgumentException.class, () -> new EvaVitConfig(224, 15, 1408, 39, 16, 6144, 1e-6, 1e-5, true));
    }
}
