package org.calico.vision;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;
import org.calico.parity.ParityCase;
import org.calico.parity.ParityHandler;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * Parity handler of the vision encoders: {@code dinov2.vit} (original DINOv2), {@code dinov2reg.hf}
 * (transformers Dinov2WithRegistersModel), {@code blip2.vision}, {@code blip2.qformer},
 * {@code blip2.qformer_with_projection} (transformers BLIP-2). Each case builds the module from {@code config}, loads
 * the weights strictly through the matching {@link KeyMapping} and runs the call the case's {@code notes} describe.
 */
public final class VisionParity implements ParityHandler {
    @Override public Set<String> modules() {
        return Set.of("dinov2.vit", "dinov2reg.hf", "blip2.vision", "blip2.qformer", "blip2.qformer_with_projection");
    }

    @Override public Map<String, Tensor> run(ParityCase c, TensorSource weights, TensorSource io) {
        return switch (c.module()) {
            case "dinov2.vit" -> dinov2Original(c, weights, io);
            case "dinov2reg.hf" -> dinov2Hf(c, weights, io);
            case "blip2.vision" -> blip2Vision(c, weights, io);
            case "blip2.qformer" -> qformer(c, weights, io);
            case "blip2.qformer_with_projection" -> blip2Path(c, weights, io);
            default -> throw new IllegalArgumentException("VisionParity: unknown module " + c.module());
        };
    }

    private static Map<String, Tensor> dinov2Original(ParityCase c, TensorSource w, TensorSource io) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Dinov2 m = new Dinov2(Dinov2Config.fromOriginalJson(c.config()), DType.F32, Dev.CPU)) {
            m.load(w, Dinov2.ORIGINAL);
            Tensor x = io.load("x");
            Dinov2.Features f = m.forwardFeatures(x);
            out.put("x_norm_clstoken", T.copy(f.clsToken()));
            out.put("x_norm_regtokens", T.copy(f.registerTokens()));
            out.put("x_norm_patchtokens", T.copy(f.patchTokens()));
            out.put("debug.x_prenorm", T.copy(f.prenorm()));
            out.put("debug.pos_embed_interpolated", T.copy(m.interpolatePosEncoding(f.gridH(), f.gridW())));
            for (String name : c.outputs()) {
                if (!name.startsWith("intermediate_layer_")) continue;
                int layer = Integer.parseInt(name.substring("intermediate_layer_".length()));
                Tensor p = m.intermediateLayers(x, new int[] {layer}, true).get(0);
                out.put(name, Dinov2.toGrid(p, f.gridH(), f.gridW()));
            }
        }
        return out;
    }

    private static Map<String, Tensor> dinov2Hf(ParityCase c, TensorSource w, TensorSource io) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Dinov2 m = new Dinov2(Dinov2Config.fromHfJson(c.config()), DType.F32, Dev.CPU)) {
            boolean v4 = w.contains("encoder.layer.0.attention.attention.query.weight");
            m.load(w, v4 ? Dinov2.HF4 : Dinov2.HF);
            Dinov2.Features f = m.forwardFeatures(io.load("pixel_values"));
            Tensor last = m.norm.forward(f.prenorm());
            out.put("last_hidden_state", last);
            out.put("pooler_output", T.copy(last.select(1, 0)));
            out.put("debug.pos_embed_interpolated", T.copy(m.interpolatePosEncoding(f.gridH(), f.gridW())));
        }
        return out;
    }

    private static Map<String, Tensor> blip2Vision(ParityCase c, TensorSource w, TensorSource io) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (EvaVit m = new EvaVit(EvaVitConfig.fromHfJson(c.config()), DType.F32, Dev.CPU)) {
            m.load(w, EvaVit.hfFor(w.names(), ""));
            EvaVit.Output o = m.encode(io.load("pixel_values"), true);
            Tensor last = m.lnVision(o.last());
            out.put("last_hidden_state", last);
            out.put("pooler_output", m.lnVision(last.select(1, 0)));
            List<Tensor> hs = o.hiddenStates();
            for (int i = 0; i < hs.size(); i++) out.put("hidden_states." + i, hs.get(i));
        }
        return out;
    }

    private static Map<String, Tensor> qformer(ParityCase c, TensorSource w, TensorSource io) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Tensor q = io.load("query_embeds");
        try (QFormer m = new QFormer(QFormerConfig.fromHfJson(c.config(), (int) q.size(1)), DType.F32, Dev.CPU)) {
            m.load(w, QFormer.HF);
            List<Tensor> hs = m.forwardAll(q, io.load("encoder_hidden_states"), true);
            out.put("last_hidden_state", hs.get(0));
            for (int i = 1; i < hs.size(); i++) out.put("debug.hidden_states." + (i - 1), hs.get(i));
        }
        return out;
    }

    private static Map<String, Tensor> blip2Path(ParityCase c, TensorSource w, TensorSource io) {
        JsonNode cfg = c.config();
        int nq = cfg.path("num_query_tokens").asInt(32);
        EvaVitConfig vc = EvaVitConfig.fromHfJson(cfg.path("vision_config"));
        // Blip2Config sets qformer_config.encoder_hidden_size = vision_config.hidden_size
        QFormerConfig qc = QFormerConfig.fromHfJson(cfg.path("qformer_config"), nq);
        qc = new QFormerConfig(qc.hidden(), qc.layers(), qc.heads(), qc.intermediate(), qc.crossAttentionFrequency(), vc.width(), qc.eps(), nq);
        int llm = cfg.path("text_config").path("hidden_size").asInt(0);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Blip2ImageEncoder m = new Blip2ImageEncoder(vc, qc, llm, DType.F32, Dev.CPU)) {
            boolean qv = w.contains("vision_model.encoder.layers.0.self_attn.q_bias");
            m.load(w, qv ? Blip2ImageEncoder.HF_QV_BIAS : Blip2ImageEncoder.HF);
            Blip2ImageEncoder.Output o = m.forward(io.load("pixel_values"));
            out.put("vision_last_hidden_state", o.imageFeatures());
            out.put("qformer_last_hidden_state", o.queryOutput());
            out.put("language_model_inputs", o.llmTokens());
        }
        return out;
    }
}
