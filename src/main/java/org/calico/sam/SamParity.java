package org.calico.sam;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.bytedeco.pytorch.Tensor;
import org.calico.image.RgbImage;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;
import org.calico.parity.ParityCase;
import org.calico.parity.ParityHandler;
import org.calico.tensor.T;

/**
 * Parity handler for the {@code sam.*} fixtures (../shared/parity/README.md): builds the module from the case's upstream
 * constructor arguments, loads {@code weights.safetensors} under the upstream names (strict: no missing or unexpected
 * keys) and runs exactly the call the case's {@code notes} describe.
 */
public final class SamParity implements ParityHandler {
    @Override public Set<String> modules() {
        return Set.of("sam.image_encoder", "sam.prompt_encoder", "sam.mask_decoder", "sam.predictor");
    }

    @Override public Map<String, Tensor> run(ParityCase c, TensorSource weights, TensorSource io) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        switch (c.module()) {
            case "sam.image_encoder": {
                try (ImageEncoderViT m = new ImageEncoderViT(imageEncoderConfig(c.config(), c.name()))) {
                    m.load(weights, KeyMapping.identity());
                    out.put("image_embeddings", m.forward(io.load("x")));
                }
                break;
            }
            case "sam.prompt_encoder": {
                try (PromptEncoder m = new PromptEncoder(promptEncoderConfig(c.config(), c.name()))) {
                    m.load(weights, KeyMapping.identity());
                    PromptEncoder.Embeddings e = m.forward(opt(io, "point_coords"), opt(io, "point_labels"), opt(io, "boxes"), opt(io, "masks"));
                    out.put("sparse_embeddings", e.sparse());
                    out.put("dense_embeddings", e.dense());
                    out.put("dense_pe", m.densePe());
                }
                break;
            }
            case "sam.mask_decoder": {
                try (MaskDecoder m = new MaskDecoder(maskDecoderConfig(c.config(), c.name()))) {
                    m.load(weights, KeyMapping.identity());
                    Tensor img = io.load("image_embeddings"), pe = io.load("image_pe"), sp = io.load("sparse_prompt_embeddings"),
                            de = io.load("dense_prompt_embeddings");
                    MaskDecoder.Output single = m.forward(img, pe, sp, de, false);
                    MaskDecoder.Output multi = m.forward(img, pe, sp, de, true);
                    out.put("low_res_masks_single", single.masks());
                    out.put("iou_predictions_single", single.iouPredictions());
                    out.put("low_res_masks_multi", multi.masks());
                    out.put("iou_predictions_multi", multi.iouPredictions());
                }
                break;
            }
            case "sam.predictor": {
                SamConfig cfg = samConfig(c.config(), c.name());
                try (SamModel m = new SamModel(cfg)) {
                    m.load(weights, SamMappings.ORIGINAL);
                    Tensor img = io.load("image");
                    long h = img.size(0), w = img.size(1);
                    RgbImage image = new RgbImage((int) h, (int) w, T.toBytes(img));
                    float[] pc = T.toFloats(io.load("point_coords"));
                    long[] pl = T.toLongs(io.load("point_labels"));
                    float[] box = T.toFloats(io.load("box"));
                    SamPrompt.Builder pb = SamPrompt.builder();
                    for (int i = 0; i < pl.length; i++) pb.point(pc[2 * i], pc[2 * i + 1], (int) pl[i]);
                    pb.box(box[0], box[1], box[2], box[3]);
                    try (SamPredictor p = new SamPredictor(m)) {
                        p.setImage(image);
                        SamPrediction r = p.predict(pb.build(), true, true);
                        int k = r.count();
                        out.put("masks", T.fromFloats(concat(r.logitsList()), k, h, w));
                        out.put("iou_predictions", T.fromFloats(r.iouPredictions(), k));
                        out.put("low_res_masks", T.fromFloats(concat(r.lowResLogitsList()), k, r.lowResHeight(), r.lowResWidth()));
                        out.put("features", T.fromFloats(p.current().features(), p.current().featureShape()));
                    }
                }
                break;
            }
            default:
                throw new IllegalArgumentException("SamParity cannot run module " + c.module());
        }
        return out;
    }

    private static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static Tensor opt(TensorSource io, String name) { return io.contains(name) ? io.load(name) : null; }

    // ------------------------------------------------------------------ upstream constructor arguments -> configs

    static SamConfig samConfig(JsonNode c, String name) {
        ImageEncoderConfig enc = imageEncoderConfig(req(c, "image_encoder", name), name);
        PromptEncoderConfig pe = promptEncoderConfig(req(c, "prompt_encoder", name), name);
        MaskDecoderConfig dec = maskDecoderConfig(req(c, "mask_decoder", name), name);
        float[] mean = floats(c.path("pixel_mean"), SamConfig.PIXEL_MEAN), std = floats(c.path("pixel_std"), SamConfig.PIXEL_STD);
        if (c.has("image_format") && !"RGB".equals(c.get("image_format").asText()))
            throw new IllegalArgumentException(name + ": image_format " + c.get("image_format") + " is not supported (RGB)");
        return new SamConfig(enc, pe, dec, mean, std, (float) c.path("mask_threshold").asDouble(0.0));
    }

    static ImageEncoderConfig imageEncoderConfig(JsonNode c, String name) {
        requireCallable(c, "act_layer", "torch.nn.GELU", name);
        List<Integer> global = new ArrayList<>();
        c.path("global_attn_indexes").forEach(n -> global.add(n.asInt()));
        return new ImageEncoderConfig(c.path("img_size").asInt(1024), c.path("patch_size").asInt(16), c.path("in_chans").asInt(3),
                c.path("embed_dim").asInt(768), c.path("depth").asInt(12), c.path("num_heads").asInt(12), c.path("mlp_ratio").asDouble(4.0),
                c.path("out_chans").asInt(256), c.path("qkv_bias").asBoolean(true), c.path("use_abs_pos").asBoolean(true),
                c.path("use_rel_pos").asBoolean(false), c.path("window_size").asInt(0), global, layerNormEps(c.path("norm_layer"), name));
    }

    static PromptEncoderConfig promptEncoderConfig(JsonNode c, String name) {
        requireCallable(c, "activation", "torch.nn.GELU", name);
        JsonNode e = req(c, "image_embedding_size", name), in = req(c, "input_image_size", name);
        return new PromptEncoderConfig(req(c, "embed_dim", name).asInt(), e.get(0).asInt(), e.get(1).asInt(), in.get(0).asInt(),
                in.get(1).asInt(), req(c, "mask_in_chans", name).asInt());
    }

    static MaskDecoderConfig maskDecoderConfig(JsonNode c, String name) {
        requireCallable(c, "activation", "torch.nn.GELU", name);
        JsonNode t = req(c, "transformer", name);
        if (!"TwoWayTransformer".equals(t.path("cls").asText("TwoWayTransformer")))
            throw new IllegalArgumentException(name + ": transformer class " + t.get("cls") + " is not supported");
        requireCallable(t, "activation", "torch.nn.ReLU", name);
        int dim = req(c, "transformer_dim", name).asInt();
        if (t.path("embedding_dim").asInt(dim) != dim)
            throw new IllegalArgumentException(name + ": transformer embedding_dim " + t.get("embedding_dim") + " != transformer_dim " + dim);
        return new MaskDecoderConfig(dim, req(t, "depth", name).asInt(), req(t, "mlp_dim", name).asInt(), req(t, "num_heads", name).asInt(),
                t.path("attention_downsample_rate").asInt(2), c.path("num_multimask_outputs").asInt(3), c.path("iou_head_depth").asInt(3),
                c.path("iou_head_hidden_dim").asInt(256));
    }

    private static final Pattern EPS = Pattern.compile("eps\\s*=\\s*([0-9.eE+-]+)");

    /** "functools.partial(torch.nn.LayerNorm, eps=1e-6)" -> 1e-6; "torch.nn.LayerNorm" or absent -> 1e-5. */
    static double layerNormEps(JsonNode n, String name) {
        if (n.isMissingNode() || n.isNull()) return 1e-5;
        String s = n.asText();
        if (!s.contains("LayerNorm")) throw new IllegalArgumentException(name + ": norm_layer " + s + " is not supported (LayerNorm)");
        Matcher m = EPS.matcher(s);
        return m.find() ? Double.parseDouble(m.group(1)) : 1e-5;
    }

    private static void requireCallable(JsonNode c, String key, String expected, String name) {
        if (c.has(key) && !expected.equals(c.get(key).asText()))
            throw new IllegalArgumentException(name + ": " + key + " " + c.get(key) + " is not supported (" + expected + ")");
    }

    private static JsonNode req(JsonNode c, String key, String name) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) throw new IllegalArgumentException(name + ": config." + key + " is missing");
        return v;
    }

    private static float[] floats(JsonNode a, float[] dflt) {
        if (!a.isArray()) return dflt;
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }
}
