package org.calico.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.io.StateDict;
import org.calico.parity.ParityCase;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** DINOv2 with registers: checkpoint layouts, descriptors (token/key facets), intermediate layers, input checks. */
class Dinov2Test {
    @Test
    void originalHf5AndHf4NamesGiveIdenticalOutputs() {
        Path dir = VisionParityTest.caseDir("hf_dinov2reg");
        ParityCase c = ParityCase.read(dir);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             StateDict orig = new StateDict("original names"); StateDict v4 = new StateDict("hf 4.x names");
             Dinov2 a = new Dinov2(Dinov2Config.fromHfJson(c.config()), DType.F32, Dev.CPU);
             Dinov2 b = new Dinov2(Dinov2Config.fromHfJson(c.config()), DType.F32, Dev.CPU);
             Dinov2 d = new Dinov2(Dinov2Config.fromHfJson(c.config()), DType.F32, Dev.CPU)) {
            // independent inverse of the converter table (model-reference.md 4.2)
            for (String k : w.names()) {
                Tensor t = w.load(k);
                v4.put(k.replace("attention.q_proj", "attention.attention.query").replace("attention.k_proj", "attention.attention.key")
                        .replace("attention.v_proj", "attention.attention.value").replace("attention.o_proj", "attention.output.dense"), t);
                if (k.contains("attention.q_proj") || k.contains("attention.k_proj") || k.contains("attention.v_proj")) continue;
                String o = k.replace("embeddings.patch_embeddings.projection", "patch_embed.proj").replace("embeddings.position_embeddings", "pos_embed")
                        .replace("embeddings.", "").replace("encoder.layer.", "blocks.").replace("attention.o_proj", "attn.proj")
                        .replace("layer_scale1.lambda1", "ls1.gamma").replace("layer_scale2.lambda1", "ls2.gamma");
                if (o.startsWith("layernorm.")) o = "norm." + o.substring("layernorm.".length());
                orig.put(o, t);
            }
            for (int i = 0; i < 3; i++) {
                for (String p : new String[] {"weight", "bias"}) {
                    String pre = "encoder.layer." + i + ".attention.";
                    orig.put("blocks." + i + ".attn.qkv." + p, T.cat(0, w.load(pre + "q_proj." + p), w.load(pre + "k_proj." + p), w.load(pre + "v_proj." + p)));
                }
            }
            a.load(w, Dinov2.HF);
            b.load(orig, Dinov2.ORIGINAL);
            d.load(v4, Dinov2.HF4);
            Tensor px = io.load("pixel_values");
            Tensor ra = a.forwardFeatures(px).prenorm(), rb = b.forwardFeatures(px).prenorm(), rd = d.forwardFeatures(px).prenorm();
            assertTrue(VisionTestSupport.bitEqual(ra, rb));
            assertTrue(VisionTestSupport.bitEqual(ra, rd));
            assertTrue(T.maxAbsDiff(a.norm.forward(ra), io.load("last_hidden_state")) < 1e-5);
        }
    }

    @Test
    void descriptorsFacetsAndLayers() {
        Path dir = VisionParityTest.caseDir("dinov2_vit");
        ParityCase c = ParityCase.read(dir);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             Dinov2 m = new Dinov2(Dinov2Config.fromOriginalJson(c.config()), DType.F32, Dev.CPU)) {
            m.load(w, Dinov2.ORIGINAL);
            Tensor x = io.load("x");
            Dinov2.Features f = m.forwardFeatures(x);
            assertEquals(8, f.gridH());
            assertEquals(6, f.gridW());
            // last-layer tokens with norm == x_norm_patchtokens; no later blocks needed for earlier layers
            assertTrue(VisionTestSupport.bitEqual(m.features(x, -1, DinoFacet.TOKEN, true), f.patchTokens()));
            assertTrue(T.maxAbsDiff(m.features(x, 3, DinoFacet.TOKEN, true), io.load("x_norm_patchtokens")) < 1e-5);
            Tensor l1 = m.features(x, 1, DinoFacet.TOKEN, true);
            assertTrue(T.maxAbsDiff(Dinov2.toGrid(l1, 8, 6), io.load("intermediate_layer_1")) < 1e-5);
            Tensor raw1 = m.features(x, 1, DinoFacet.TOKEN, false);
            assertTrue(VisionTestSupport.bitEqual(raw1, m.intermediateLayers(x, new int[] {1}, false).get(0)));
            // key facet: block 2's keys from norm1 of block 2's input, Amir's (d, h) channel order
            Tensor in2 = m.prepareTokens(x);
            for (int i = 0; i < 2; i++) in2 = m.blocks.get(i).forward(in2);
            Dinov2.Block b2 = m.blocks.get(2);
            long cw = 64;
            Tensor kRows = b2.qkv.weight.t().narrow(0, cw, cw), kBias = b2.qkv.bias.t().narrow(0, cw, cw);
            Tensor k = T.linear(b2.norm1.forward(in2), kRows, kBias); // [1, 53, 64], channel h * 16 + d
            Tensor amir = k.reshape(1, 53, 4, 16).permute(0, 1, 3, 2).reshape(1, 53, 64).narrow(1, 5, 48);
            Tensor key = m.features(x, 2, DinoFacet.KEY, true);
            assertArrayEquals(new long[] {1, 48, 64}, T.shape(key));
            assertTrue(T.maxAbsDiff(key, amir) < 1e-6);
            // interpolated grid reused from the cache: same tensor values on a second call
            assertTrue(VisionTestSupport.bitEqual(m.interpolatePosEncoding(8, 6), m.interpolatePosEncoding(8, 6)));
            assertTrue(T.maxAbsDiff(m.interpolatePosEncoding(8, 6), io.load("debug.pos_embed_interpolated")) < 1e-6);
            // square input at the native grid: the stored embedding unchanged
            assertTrue(VisionTestSupport.bitEqual(m.interpolatePosEncoding(7, 7), m.posEmbed.t()));
        }
    }

    @Test
    void badInputsAreClearErrors() {
        try (PointerScope s = new PointerScope(); Dinov2 m = new Dinov2(Dinov2Config.tiny(), DType.F32, Dev.CPU)) {
            m.initRandom(1);
            var e = assertThrows(IllegalArgumentException.class, () -> m.forwardFeatures(VisionTestSupport.randn(1, 3, 30, 32)));
            assertTrue(e.getMessage().contains("multiples of the patch size 8") && e.getMessage().contains("[1, 3, 30, 32]"), e.getMessage());
            var l = assertThrows(IllegalArgumentException.class, () -> m.features(VisionTestSupport.randn(1, 3, 32, 32), 5, DinoFacet.TOKEN, true));
            assertTrue(l.getMessage().contains("out of range"), l.getMessage());
            assertThrows(IllegalArgumentException.class, () -> DinoFacet.parse("query"));
        }
        try (Dinov2 m = new Dinov2(Dinov2Config.tiny(), DType.F32, Dev.CPU)) {
            assertThrows(org.calico.nn.ModuleNotReadyException.class, () -> m.forwardFeatures(VisionTestSupport.randn(1, 3, 32, 32)));
        }
        JsonNode swiglu = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("use_swiglu_ffn", true);
        assertThrows(IllegalArgumentException.class, () -> Dinov2Config.fromHfJson(swiglu));
    }

    @Test
    void tinyModelRunsInBf16AndAtOtherSizes() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); Dinov2 m = new Dinov2(Dinov2Config.tiny(), DType.BF16, Dev.CPU)) {
            m.initRandom(3);
            Dinov2.Features f = m.forwardFeatures(VisionTestSupport.randn(2, 3, 48, 24));
            assertArrayEquals(new long[] {2, 18, 64}, T.shape(f.patchTokens()));
            assertArrayEquals(new long[] {2, 4, 64}, T.shape(f.registerTokens()));
            assertEquals(DType.BF16, T.dtype(f.patchTokens()));
        }
    }
    /** A composite holding DINOv2 as a child, as the CALICO model does. */
    static final class Holder extends org.calico.nn.Module {
        final Dinov2 dino;

        Holder() {
            super(DType.F32, Dev.CPU);
            dino = child("dino", new Dinov2(Dinov2Config.tiny(), DType.F32, Dev.CPU));
        }
    }

    @Test
    void interpolatedPositionCacheFollowsWeightsLoadedThroughAParent() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); Holder h = new Holder();
             Dinov2 fresh = new Dinov2(Dinov2Config.tiny(), DType.F32, Dev.CPU); StateDict sd = new StateDict("child weights")) {
            h.initRandom(1);
            Tensor first = T.copy(h.dino.interpolatePosEncoding(3, 5));
            h.initRandom(2); // new weights through the parent: the child's cached grid must be rebuilt
            Tensor second = h.dino.interpolatePosEncoding(3, 5);
            h.dino.stateDict().forEach(sd::put);
            fresh.load(sd, Dinov2.ORIGINAL);
            assertTrue(VisionTestSupport.bitEqual(second, fresh.interpolatePosEncoding(3, 5)));
            assertTrue(T.maxAbsDiff(first, second) > 1e-3);
        }
    }
}
