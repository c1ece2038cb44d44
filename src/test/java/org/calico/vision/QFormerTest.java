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
import org.calico.parity.ParityCase;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** Q-Former: batching, query broadcast, LAVIS names, the full BLIP-2 image path under LAVIS names, real sizes. */
class QFormerTest {
    @Test
    void twoImagesBatchedEqualTwoSingleCalls() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             QFormer q = new QFormer(new QFormerConfig(64, 4, 4, 128, 2, 48, 1e-12, 8), DType.F32, Dev.CPU)) {
            q.initRandom(11);
            T.seed(12);
            Tensor queries = VisionTestSupport.randn(1, 8, 64);
            Tensor images = VisionTestSupport.randn(2, 17, 48);
            Tensor batched = q.forward(queries, images);
            assertArrayEquals(new long[] {2, 8, 64}, T.shape(batched));
            for (int i = 0; i < 2; i++) {
                Tensor single = q.forward(queries, images.narrow(0, i, 1));
                double err = T.maxAbsDiff(batched.narrow(0, i, 1), single);
                assertTrue(err <= 1e-5, "image " + i + ": " + err); // GEMM blocking differs with the batch: float rounding only
            }
            // per-image queries (as the CAM passes them) equal the broadcast ones when they are the same
            assertTrue(T.maxAbsDiff(q.forward(queries.expand(2, -1, -1).contiguous(), images), batched) <= 1e-5);
            // the two images really differ
            assertTrue(T.maxAbsDiff(batched.narrow(0, 0, 1), batched.narrow(0, 1, 1)) > 1e-2);
            // any number of queries
            assertArrayEquals(new long[] {2, 3, 64}, T.shape(q.forward(VisionTestSupport.randn(2, 3, 64), images)));
        }
    }

    @Test
    void shapeErrorsNameTheProblem() {
        try (PointerScope s = new PointerScope(); QFormer q = new QFormer(QFormerConfig.tiny(), DType.F32, Dev.CPU)) {
            q.initRandom(1);
            var e = assertThrows(IllegalArgumentException.class, () -> q.forward(VisionTestSupport.randn(1, 8, 64), VisionTestSupport.randn(2, 17, 32)));
            assertTrue(e.getMessage().contains("[B, S, 64]") && e.getMessage().contains("[2, 17, 32]"), e.getMessage());
            var b = assertThrows(IllegalArgumentException.class, () -> q.forward(VisionTestSupport.randn(3, 8, 64), VisionTestSupport.randn(2, 17, 64)));
            assertTrue(b.getMessage().contains("query batch 3"), b.getMessage());
        }
    }

    /** The HF Q-Former fixture weights under LAVIS names ({@code Qformer.bert.*}) plus text-only keys LAVIS files carry. */
    static void qformerToLavis(SafeTensorsFile w, String hfPrefix, StateDict out) {
        for (String k : w.names()) {
            if (!k.startsWith(hfPrefix)) continue;
            String r = k.substring(hfPrefix.length());
            r = r.replace(".attention.attention.", ".attention.self.").replace(".crossattention.attention.", ".crossattention.self.");
            if (r.startsWith("layernorm.")) r = "embeddings.LayerNorm." + r.substring("layernorm.".length());
            out.put("Qformer.bert." + r, w.load(k));
        }
        out.put("Qformer.cls.predictions.bias", T.zeros(5));
        out.put("Qformer.bert.embeddings.word_embeddings.weight", T.zeros(5, 64));
        out.put("Qformer.bert.embeddings.position_ids", T.zeros(DType.I64, Dev.CPU, 1, 5));
        out.put("Qformer.bert.encoder.layer.0.intermediate.dense.weight", T.zeros(128, 64));
        out.put("Qformer.bert.encoder.layer.3.output.LayerNorm.bias", T.zeros(64));
    }

    @Test
    void lavisNamesLoadToTheSameQFormer() {
        Path dir = VisionParityTest.caseDir("hf_blip2_qformer");
        ParityCase c = ParityCase.read(dir);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             StateDict lavis = new StateDict("lavis");
             QFormer a = new QFormer(QFormerConfig.fromHfJson(c.config(), 8), DType.F32, Dev.CPU);
             QFormer b = new QFormer(QFormerConfig.fromHfJson(c.config(), 8), DType.F32, Dev.CPU)) {
            qformerToLavis(w, "", lavis);
            a.load(w, QFormer.HF);
            var report = b.load(lavis, QFormer.LAVIS);
            assertEquals(5, report.ignored().size(), report.toString());
            Tensor qe = io.load("query_embeds"), enc = io.load("encoder_hidden_states");
            assertTrue(VisionTestSupport.bitEqual(a.forward(qe, enc), b.forward(qe, enc)));
            assertTrue(T.maxAbsDiff(b.forward(qe, enc), io.load("last_hidden_state")) < 1e-5);
            assertTrue(a.layers.get(0).hasCrossAttention() && !a.layers.get(1).hasCrossAttention() && a.layers.get(2).hasCrossAttention());
        }
    }

    @Test
    void blip2ImagePathUnderLavisNames() {
        Path dir = VisionParityTest.caseDir("hf_blip2_qformer_with_projection");
        ParityCase c = ParityCase.read(dir);
        var cfg = c.config();
        EvaVitConfig vc = EvaVitConfig.fromHfJson(cfg.path("vision_config"));
        QFormerConfig qc = QFormerConfig.fromHfJson(cfg.path("qformer_config"), 8);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io());
             StateDict lavis = new StateDict("lavis");
             Blip2ImageEncoder m = new Blip2ImageEncoder(vc, qc, 96, DType.F32, Dev.CPU)) {
            EvaVitTest.toLavis(w, "vision_model.", lavis, 64);
            qformerToLavis(w, "qformer.", lavis);
            lavis.put("query_tokens", w.load("query_tokens"));
            lavis.put("llama_proj.weight", w.load("language_projection.weight"));
            lavis.put("llama_proj.bias", w.load("language_projection.bias"));
            lavis.put("llama_model.model.embed_tokens.weight", T.zeros(4, 96));
            lavis.put("temp", T.zeros(1));
            m.load(lavis, Blip2ImageEncoder.lavis("llama_proj"));
            Blip2ImageEncoder.Output o = m.forward(io.load("pixel_values"));
            assertTrue(T.maxAbsDiff(o.imageFeatures(), io.load("vision_last_hidden_state")) < 2e-5);
            assertTrue(T.maxAbsDiff(o.queryOutput(), io.load("qformer_last_hidden_state")) < 2e-5);
            assertTrue(T.maxAbsDiff(o.llmTokens(), io.load("language_model_inputs")) < 2e-5);
            assertArrayEquals(new long[] {1, 8, 64}, T.shape(m.queryTokens()));
        }
    }

    @Test
    void realBlip2QFormerSizeInBf16() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             QFormer q = new QFormer(QFormerConfig.blip2(), DType.BF16, Dev.CPU)) {
            // query-only Q-Former: ~105.1M parameters (model-reference.md 3.2)
            long n = q.parameterCount();
            assertTrue(Math.abs(n - 105.1e6) < 0.1e6, "parameters " + n);
            assertEquals(6, q.layers.stream().filter(QFormer.Layer::hasCrossAttention).count());
            q.initRandom(0);
            Tensor out = q.forward(VisionTestSupport.randn(1, 32, 768), VisionTestSupport.randn(2, 257, 1408));
            assertArrayEquals(new long[] {2, 32, 768}, T.shape(out));
            assertEquals(DType.BF16, T.dtype(out));
            assertTrue(Float.isFinite(T.item(out.abs().sum())));
        }
    }
}
