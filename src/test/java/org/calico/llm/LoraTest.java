package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensors;
import org.calico.io.SafeTensorsFile;
import org.calico.io.StateDict;
import org.calico.nn.ModuleLoadException;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
    static final long[] PROMPT = {1, 8, 3, 50, 22, 9, 14};

    /** Gives B random values so that the adapter matters. */
    private static void randomiseB(LoraAdapters a, long seed) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(seed);
            for (LoraAdapters.Pair p : a.pairs().values()) p.loraB.weight.t().copy_(T.mul(T.randn(DType.F32, Dev.CPU, T.shape(p.loraB.weight.t())), 0.05));
        }
    }

    @Test void freshAdapterChangesNothingAndHasPeftShapes() {
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 3); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            Tensor before = m.logits(ids);
            try (LoraAdapters a = LoraAdapters.attach(m, LoraConfig.calico(), 11)) {
                assertEquals(8, a.pairs().size()); // 4 layers x {q, v}
                var p = a.pairs().get("model.layers.0.self_attn.v_proj");
                assertEquals("[8, 64]", T.shapeString(p.loraA.weight.t()));
                assertEquals("[32, 8]", T.shapeString(p.loraB.weight.t())); // v_proj: 2 kv heads x 16
                double bound = 1 / Math.sqrt(64);
                assertTrue(T.item(p.loraA.weight.t().abs().max()) <= bound);
                assertTrue(T.item(p.loraA.weight.t().abs().max()) > 0.5 * bound);
                assertEquals(0.0, T.item(p.loraB.weight.t().abs().max()));
                assertTrue(m.logits(ids).equal(before));
                assertEquals(8 * (8 * 64 + 64 * 8) / 2 + 4 * (8 * 64 + 32 * 8), a.parameterCount());
                assertEquals(a.parameterCount(), a.trainableParams().values().stream().mapToLong(x -> x.numel()).sum());
            }
        }
    }

    @Test void mergedEqualsUnmergedAndUnmergeIsExact() {
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 3); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            Tensor base = m.logits(ids);
            Tensor w0 = T.copy(m.model.layers.get(1).selfAttn.qProj.weight.t());
            try (LoraAdapters a = LoraAdapters.attach(m, LoraConfig.calico(), 11)) {
                randomiseB(a, 4);
                Tensor unmerged = m.logits(ids);
                assertTrue(T.maxAbsDiff(unmerged, base) > 1e-3, "adapter must matter");
                // unmerged forward == x W^T + 2 * B A x for one projection
                var p = a.pairs().get("model.layers.1.self_attn.q_proj");
                Tensor x = T.randn(DType.F32, Dev.CPU, 3, 64);
                Tensor manual = T.add(T.linear(x, w0, null), T.mul(T.linear(T.linear(x, p.loraA.weight.t(), null), p.loraB.weight.t(), null), 2.0));
                assertTrue(T.maxAbsDiff(m.model.layers.get(1).selfAttn.qProj.forward(x), manual) < 1e-6);
                a.merge();
                assertTrue(a.isMerged());
                Tensor merged = m.logits(ids);
                assertTrue(T.maxAbsDiff(merged, unmerged) < 1e-5, "merged vs unmerged " + T.maxAbsDiff(merged, unmerged));
                Tensor wm = m.model.layers.get(1).selfAttn.qProj.weight.t();
                Tensor expect = T.add(w0, T.mul(T.matmul(p.loraB.weight.t(), p.loraA.weight.t()), 2.0));
                assertTrue(T.maxAbsDiff(wm, expect) < 1e-6);
                a.unmerge();
                assertFalse(a.isMerged());
                assertTrue(m.model.layers.get(1).selfAttn.qProj.weight.t().equal(w0), "unmerge restores the weight bit-exactly");
                assertTrue(m.logits(ids).equal(unmerged));
                a.mergeAndUnload();
                assertTrue(T.maxAbsDiff(m.logits(ids), unmerged) < 1e-5);
                assertEquals(null, m.model.layers.get(1).selfAttn.qProj.adapter());
            }
        }
    }

    @Test void dropoutOnlyInTraining() {
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 3); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             LoraAdapters a = LoraAdapters.attach(m, new LoraConfig(4, 8, 0.5, Set.of("q_proj")), 2)) {
            randomiseB(a, 6);
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            Tensor eval1 = m.logits(ids);
            assertTrue(eval1.equal(m.logits(ids)));
            a.train(true);
            Tensor tr = m.logits(ids);
            assertTrue(T.maxAbsDiff(tr, eval1) > 1e-6, "dropout must act in training");
            a.train(false);
            assertTrue(m.logits(ids).equal(eval1));
            assertEquals(4, a.pairs().size());
        }
    }

    @Test void peftSaveLoadRoundTripBothKeyStyles(@TempDir Path dir) {
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 3); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            Tensor want;
            Path f = dir.resolve("adapter_model.safetensors");
            Map<String, Tensor> withDefault = new LinkedHashMap<>();
            try (LoraAdapters a = LoraAdapters.attach(m, LoraConfig.calico(), 11)) {
                randomiseB(a, 9);
                want = m.logits(ids);
                a.savePeft(f);
                a.stateDict().forEach((k, t) -> withDefault.put("base_model.model." + k.replace(".weight", ".default.weight"), t));
                SafeTensors.write(dir.resolve("default.safetensors"), withDefault);
            }
            try (SafeTensorsFile sf = SafeTensorsFile.open(f)) {
                assertTrue(sf.names().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), sf.names().toString());
                assertTrue(sf.names().contains("base_model.model.model.layers.3.self_attn.v_proj.lora_B.weight"));
                assertEquals(16, sf.names().size());
            }
            Tensor plain = m.logits(ids);
            assertTrue(T.maxAbsDiff(plain, want) > 1e-3);
            try (LoraAdapters b = LoraAdapters.loadPeft(m, LoraConfig.calico(), dir)) {
                assertTrue(m.logits(ids).equal(want));
            }
            assertTrue(m.logits(ids).equal(plain), "closing the adapter detaches it");
            try (LoraAdapters c = LoraAdapters.loadPeft(m, LoraConfig.calico(), dir.resolve("default.safetensors"))) {
                assertTrue(m.logits(ids).equal(want));
            }
            // a rank mismatch is a load error naming the key
            var e = assertThrows(ModuleLoadException.class, () -> LoraAdapters.loadPeft(m, new LoraConfig(4, 8, 0, Set.of("q_proj", "v_proj")), f));
            assertTrue(e.getMessage().contains("lora_A.weight"), e.getMessage());
            assertEquals(null, m.model.layers.get(0).selfAttn.qProj.adapter(), "a failed load leaves nothing attached");
        }
    }

    @Test void configValidation() {
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 16, 0.05, Set.of("q_proj")));
        var e = assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 16, 0.05, Set.of("o_proj")));
        assertTrue(e.getMessage().contains("o_proj"));
        assertEquals(2.0, LoraConfig.calico().scaling());
    }

    @Test void glammMappingIgnoresOtherBoxesAndInvFreq() {
        LlamaConfig c = LlamaConfig.tiny(64).withLayers(1);
        try (LlamaForCausalLM src = new LlamaForCausalLM(c, DType.F32, Dev.CPU); PointerScope s = new PointerScope();
             StateDict sd = new StateDict("glamm-like")) {
            src.initRandom(1);
            src.stateDict().forEach(sd::put);
            sd.put("model.layers.0.self_attn.rotary_emb.inv_freq", T.zeros(8));
            sd.put("model.mm_projector.0.weight", T.zeros(64, 16));
            sd.put("model.text_hidden_fcs.0.0.bias", T.zeros(64));
            try (LlamaForCausalLM dst = new LlamaForCausalLM(c, DType.F32, Dev.CPU)) {
                var e = assertThrows(ModuleLoadException.class, () -> dst.load(sd, LlamaForCausalLM.HF, false));
                assertTrue(e.getMessage().contains("model.mm_projector.0.weight"), e.getMessage());
                var rep = dst.load(sd, LlamaForCausalLM.GLAMM, false);
                assertEquals(3, rep.ignored().size());
                Tensor ids = LlamaTestSupport.ids(1, 2, 3);
                assertTrue(dst.logits(ids).equal(src.logits(ids)));
            }
        }
    }

    @Test void configFromHfJson() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
            {"model_type":"llama","vocab_size":32000,"hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,
             "num_attention_heads":32,"num_key_value_heads":32,"rms_norm_eps":1e-05,"rope_theta":10000.0,
             "max_position_embeddings":4096,"bos_token_id":1,"eos_token_id":2,"pad_token_id":0,"tie_word_embeddings":false}""");
        LlamaConfig c = LlamaConfig.fromHfJson(json, "vicuna config.json");
        assertEquals(LlamaConfig.vicuna7bBase(), c);
        var gqa = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
            {"vocab_size":300,"hidden_size":64,"intermediate_size":172,"num_hidden_layers":2,"num_attention_heads":4,
             "num_key_value_heads":2,"rope_parameters":{"rope_theta":500000.0,"rope_type":"default"},"head_dim":16}""");
        LlamaConfig g = LlamaConfig.fromHfJson(gqa, "fixture");
        assertEquals(500000.0, g.ropeTheta());
        assertEquals(2, g.kvGroups());
        var bad = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
            {"vocab_size":300,"hidden_size":64,"intermediate_size":172,"num_hidden_layers":2,"num_attention_heads":4,
             "rope_parameters":{"rope_theta":10000.0,"rope_type":"yarn","factor":4}}""");
        var e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromHfJson(bad, "cfg"));
        assertTrue(e.getMessage().contains("rope_type 'yarn'"), e.getMessage());
    }
}
