package org.calico.vision;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.calico.nn.Conv2d;
import org.calico.nn.Init;
import org.calico.nn.KeyMapping;
import org.calico.nn.LayerNorm;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * EVA-CLIP-g as BLIP-2 uses it (LAVIS {@code lavis/models/eva_vit.py::VisionTransformer}, built by
 * {@code create_eva_vit_g}; HF {@code Blip2VisionModel}), followed by BLIP-2's {@code ln_vision}
 * ({@code lavis/models/blip2_models/blip2.py}; HF {@code post_layernorm}).
 *
 * <pre>
 * pixels [B, 3, S, S] -> patch_embed.proj (Conv2d k=s=patch) -> [B, g*g, C] -> prepend cls_token -> + pos_embed
 *   -> depth x pre-LN block { x + attn.proj(MHA(qkv(norm1 x))) ; x + mlp(norm2 x) } (no final norm inside the ViT)
 *   -> ln_vision (computed in float32)  ->  [B, 1 + g*g, C]
 * </pre>
 * The qkv projection is one Linear(C, 3C) whose rows are (q, k, v), each split into heads; its bias is
 * {@code cat(q_bias, 0, v_bias)} in EVA (a k bias cannot change a softmax row). No LayerScale, no relative position
 * bias, exact erf GELU, block LayerNorm eps 1e-6.
 *
 * <p>Parameter names are LAVIS's, relative to {@code visual_encoder.}, with the bias of the fused qkv stored as one
 * tensor {@code blocks.{i}.attn.qkv.bias [3C]}, and {@code ln_vision.*} as a child:
 * {@code cls_token [1,1,C]}, {@code pos_embed [1,1+g*g,C]}, {@code patch_embed.proj.{weight [C,3,p,p], bias}},
 * {@code blocks.{i}.norm1/norm2.{weight,bias}}, {@code blocks.{i}.attn.qkv.{weight [3C,C], bias [3C]}},
 * {@code blocks.{i}.attn.proj.*}, {@code blocks.{i}.mlp.fc1/fc2.*}, {@code ln_vision.{weight,bias}}.
 * Checkpoint layouts: {@link #LAVIS}, {@link #HF}, {@link #HF_QV_BIAS}.
 */
public final class EvaVit extends Module {
    public final EvaVitConfig cfg;
    public final Param clsToken, posEmbed;
    public final Conv2d patchEmbed;
    public final List<Block> blocks;
    public final LayerNorm lnVision;

    /** LAVIS / Cheetah BLIP-2 checkpoints: {@code visual_encoder.*} with separate {@code q_bias}/{@code v_bias}, top-level {@code ln_vision.*}. */
    public static final KeyMapping LAVIS = lavisRules(KeyMapping.builder("EVA-CLIP LAVIS"), "", "visual_encoder.", "ln_vision.").build();

    /** transformers {@code Blip2VisionModel} / {@code InstructBlipVisionModel} state dict (5.x: fused {@code self_attn.qkv.bias}). */
    public static final KeyMapping HF = hfRules(KeyMapping.builder("BLIP-2 vision HF"), "", "", false).build();

    /** As {@link #HF} for checkpoints that store {@code self_attn.q_bias} / {@code self_attn.v_bias} (transformers 4.x BLIP-2). */
    public static final KeyMapping HF_QV_BIAS = hfRules(KeyMapping.builder("BLIP-2 vision HF (q_bias/v_bias)"), "", "", true).build();

    public EvaVit(EvaVitConfig cfg, DType dtype, Dev dev) {
        super(dtype, dev);
        this.cfg = cfg;
        int c = cfg.width();
        clsToken = param("cls_token", Init.normal(0.02), 1, 1, c);
        posEmbed = param("pos_embed", Init.normal(0.02), 1, cfg.numTokens(), c);
        patchEmbed = child("patch_embed.proj", new Conv2d(3, c, cfg.patchSize(), cfg.patchSize(), 0, true, dtype, dev));
        List<Block> bs = new ArrayList<>();
        for (int i = 0; i < cfg.depth(); i++) bs.add(new Block(cfg, dtype, dev));
        blocks = children("blocks", bs);
        lnVision = child("ln_vision", new LayerNorm(c, cfg.lnVisionEps(), dtype, dev));
    }

    /**
     * Adds the EVA rules for a LAVIS-style checkpoint. {@code mod}: module-key prefix of the EvaVit inside the loaded
     * module ("" when it is the root); {@code ckpt}: checkpoint prefix of the ViT ({@code visual_encoder.});
     * {@code lnCkpt}: checkpoint prefix of ln_vision ({@code ln_vision.}).
     */
    public static KeyMapping.Builder lavisRules(KeyMapping.Builder b, String mod, String ckpt, String lnCkpt) {
        String m = "^" + java.util.regex.Pattern.quote(mod);
        return b.fuse(m + "blocks\\.(\\d+)\\.attn\\.qkv\\.bias$", 0, ckpt + "blocks.$1.attn.q_bias", KeyMapping.ZEROS, ckpt + "blocks.$1.attn.v_bias")
                .rename(m + "ln_vision\\.", lnCkpt)
                .rename(m + "(cls_token|pos_embed|patch_embed\\.|blocks\\.)", ckpt + "$1");
    }

    /** Adds the EVA rules for an HF {@code Blip2VisionModel} checkpoint under {@code ckpt} (e.g. {@code vision_model.}). */
    public static KeyMapping.Builder hfRules(KeyMapping.Builder b, String mod, String ckpt, boolean separateQvBias) {
        String m = "^" + java.util.regex.Pattern.quote(mod);
        if (separateQvBias)
            b.fuse(m + "blocks\\.(\\d+)\\.attn\\.qkv\\.bias$", 0, ckpt + "encoder.layers.$1.self_attn.q_bias", KeyMapping.ZEROS,
                    ckpt + "encoder.layers.$1.self_attn.v_bias");
        return b.rename(m + "cls_token$", ckpt + "embeddings.class_embedding")
                .rename(m + "pos_embed$", ckpt + "embeddings.position_embedding")
                .rename(m + "patch_embed\\.proj\\.", ckpt + "embeddings.patch_embedding.")
                .rename(m + "blocks\\.(\\d+)\\.norm(\\d)\\.", ckpt + "encoder.layers.$1.layer_norm$2.")
                .rename(m + "blocks\\.(\\d+)\\.attn\\.qkv\\.", ckpt + "encoder.layers.$1.self_attn.qkv.")
                .rename(m + "blocks\\.(\\d+)\\.attn\\.proj\\.", ckpt + "encoder.layers.$1.self_attn.projection.")
                .rename(m + "blocks\\.(\\d+)\\.mlp\\.", ckpt + "encoder.layers.$1.mlp.")
                .rename(m + "ln_vision\\.", ckpt + "post_layernorm.");
    }

    /** The HF mapping that fits {@code names}: {@link #HF_QV_BIAS} when the checkpoint has {@code q_bias} tensors. */
    public static KeyMapping hfFor(java.util.Set<String> names, String ckptPrefix) {
        boolean qv = names.contains(ckptPrefix + "encoder.layers.0.self_attn.q_bias");
        KeyMapping m = qv ? HF_QV_BIAS : HF;
        return ckptPrefix.isEmpty() ? m : m.withPrefix(ckptPrefix);
    }

    /** Encoder output before {@code ln_vision} and the per-block hidden states. */
    public record Output(Tensor last, List<Tensor> hiddenStates) {}

    /** pixels [B, 3, S, S] -> {@code ln_vision(EVA(pixels))} [B, 1 + g*g, C]: the features the Q-Former reads. */
    public Tensor forward(Tensor pixels) {
        requireReady();
        return lnVision(encode(pixels, false).last());
    }

    /**
     * pixels [B, 3, S, S] -> the last block's output [B, N, C] (no ln_vision) and, when {@code keepHidden}, the list
     * [embeddings, block 0 output, ..., block depth-1 output] (HF {@code hidden_states}).
     */
    public Output encode(Tensor pixels, boolean keepHidden) {
        requireReady();
        Tensor x = embed(pixels);
        List<Tensor> hs = keepHidden ? new ArrayList<>() : List.of();
        if (keepHidden) hs.add(x);
        for (Block b : blocks) {
            x = b.forward(x);
            if (keepHidden) hs.add(x);
        }
        return new Output(x, hs);
    }

    /** pixels [B, 3, S, S] -> patch embedding + CLS + absolute position embedding [B, 1 + g*g, C]. */
    public Tensor embed(Tensor pixels) {
        requireReady();
        VisionOps.requireRank(pixels, 4, "EVA pixels [B, 3, H, W]");
        if (pixels.size(1) != 3 || pixels.size(2) != cfg.imageSize() || pixels.size(3) != cfg.imageSize())
            throw new IllegalArgumentException("EVA ViT expects pixels [B, 3, " + cfg.imageSize() + ", " + cfg.imageSize() + "], got "
                    + T.shapeString(pixels) + " (the absolute position embedding is fixed to " + cfg.gridSize() + "x" + cfg.gridSize() + " patches)");
        Tensor x = patchEmbed.forward(VisionOps.like(pixels, this)); // [B, C, g, g]
        long b = x.size(0);
        x = x.flatten(2, 3).transpose(1, 2); // [B, g*g, C]
        Tensor cls = clsToken.t().expand(b, -1, -1);
        return T.add(T.cat(1, cls, x), posEmbed.t());
    }

    /** ln_vision in float32 (LAVIS' LayerNorm subclass casts to fp32), result in the module dtype. x [..., C]. */
    public Tensor lnVision(Tensor x) {
        requireReady();
        if (dtype() == DType.F32) return lnVision.forward(x);
        Tensor y = T.layerNorm(T.to(x, DType.F32), T.to(lnVision.weight.t(), DType.F32), T.to(lnVision.bias.t(), DType.F32), lnVision.eps);
        return T.to(y, dtype());
    }

    /** One pre-LN EVA block. x [B, N, C] -> [B, N, C]. */
    public static final class Block extends Module {
        public final LayerNorm norm1, norm2;
        public final Linear qkv, proj;
        public final VitMlp mlp;
        private final int heads;

        Block(EvaVitConfig cfg, DType dtype, Dev dev) {
            super(dtype, dev);
            int c = cfg.width();
            heads = cfg.heads();
            norm1 = child("norm1", new LayerNorm(c, cfg.eps(), dtype, dev));
            qkv = child("attn.qkv", new Linear(c, 3L * c, cfg.qkvBias(), dtype, dev));
            proj = child("attn.proj", new Linear(c, c, true, dtype, dev));
            norm2 = child("norm2", new LayerNorm(c, cfg.eps(), dtype, dev));
            mlp = child("mlp", new VitMlp(c, cfg.mlpHidden(), dtype, dev));
        }

        public Tensor forward(Tensor x) {
            requireReady();
            x = T.add(x, proj.forward(selfAttention(norm1.forward(x))));
            return T.add(x, mlp.forward(norm2.forward(x)));
        }

        /** Multi-head self-attention before the output projection. x [B, N, C] -> [B, N, C]. */
        public Tensor selfAttention(Tensor x) {
            long b = x.size(0), n = x.size(1), c = x.size(2);
            Tensor t = qkv.forward(x).reshape(b, n, 3, heads, c / heads).permute(2, 0, 3, 1, 4); // [3, B, H, N, D]
            TensorVector parts = t.unbind(0);
            return VisionOps.mergeHeads(VisionOps.attend(parts.get(0), parts.get(1), parts.get(2)));
        }
    }
}
