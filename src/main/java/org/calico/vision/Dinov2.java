package org.calico.vision;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.javacpp.PointerScope;
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
 * DINOv2 with registers (original {@code dinov2/models/vision_transformer.py::DinoVisionTransformer} with
 * {@code block_chunks=0}; HF {@code Dinov2WithRegistersModel}).
 *
 * <pre>
 * pixels [B, 3, H, W] (H, W multiples of the patch) -> patch_embed.proj -> [B, gh*gw, C] (row-major grid)
 *   -> prepend cls_token -> + interpolate_pos_encoding(gh, gw)   (pos-embed added BEFORE the registers)
 *   -> insert register_tokens after CLS -> [B, 1 + R + gh*gw, C]
 *   -> depth x { x + ls1 * attn.proj(MHA(attn.qkv(norm1 x))) ; x + ls2 * mlp(norm2 x) }
 *   -> norm  ->  CLS [:, 0], registers [:, 1:1+R], patches [:, 1+R:]
 * </pre>
 * Position embeddings: the stored {@code M x M} grid (M = imageSize / patch) is used as is only when the patch count
 * is M*M and H == W; otherwise it is resized to (gh, gw) by antialiased bicubic interpolation in float32
 * ({@link PosEmbedInterpolation}), or with scale factor {@code (g + offset) / M} when {@code interpolateOffset != 0}.
 * Resized grids are cached per (gh, gw).
 *
 * <p>Parameter names are the original's: {@code cls_token [1,1,C]}, {@code pos_embed [1,1+M*M,C]},
 * {@code register_tokens [1,R,C]}, {@code mask_token [1,C]} (unused at inference), {@code patch_embed.proj.*},
 * {@code blocks.{i}.norm1/norm2.*}, {@code blocks.{i}.attn.qkv.{weight [3C,C], bias}}, {@code blocks.{i}.attn.proj.*},
 * {@code blocks.{i}.ls1.gamma / ls2.gamma [C]}, {@code blocks.{i}.mlp.fc1/fc2.*}, {@code norm.*}.
 * Checkpoint layouts: {@link #ORIGINAL}, {@link #HF}, {@link #HF4}.
 */
public final class Dinov2 extends Module {
    public final Dinov2Config cfg;
    public final Param clsToken, posEmbed, registerTokens, maskToken;
    public final Conv2d patchEmbed;
    public final List<Block> blocks;
    public final LayerNorm norm;
    private final Map<Long, Tensor> posCache = new ConcurrentHashMap<>();

    /** The original checkpoints ({@code dinov2_vitl14_reg4_pretrain.pth}): names as in this class. */
    public static final KeyMapping ORIGINAL = KeyMapping.builder("DINOv2 original").build();

    /** transformers 5.x {@code Dinov2WithRegistersModel} ({@code attention.q_proj/k_proj/v_proj/o_proj}). */
    public static final KeyMapping HF = hfRules(KeyMapping.builder("DINOv2-reg HF 5.x"), "", "", false).build();

    /** transformers 4.x checkpoints ({@code attention.attention.query/key/value}, {@code attention.output.dense}). */
    public static final KeyMapping HF4 = hfRules(KeyMapping.builder("DINOv2-reg HF 4.x"), "", "", true).build();

    /**
     * HF rules for a DINOv2 at module prefix {@code mod} stored as a {@code Dinov2WithRegistersModel} under
     * {@code ckpt}: the fused qkv is the concatenation of q/k/v projections; {@code ls1.gamma} is
     * {@code layer_scale1.lambda1}; {@code norm} is {@code layernorm}.
     */
    public static KeyMapping.Builder hfRules(KeyMapping.Builder b, String mod, String ckpt, boolean v4) {
        String m = "^" + java.util.regex.Pattern.quote(mod);
        String q = v4 ? "attention.attention.query" : "attention.q_proj";
        String k = v4 ? "attention.attention.key" : "attention.k_proj";
        String v = v4 ? "attention.attention.value" : "attention.v_proj";
        String o = v4 ? "attention.output.dense" : "attention.o_proj";
        String layer = ckpt + "encoder.layer.$1.";
        return b.fuse(m + "blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)$", 0, layer + q + ".$2", layer + k + ".$2", layer + v + ".$2")
                .rename(m + "(cls_token|mask_token|register_tokens)$", ckpt + "embeddings.$1")
                .rename(m + "pos_embed$", ckpt + "embeddings.position_embeddings")
                .rename(m + "patch_embed\\.proj\\.", ckpt + "embeddings.patch_embeddings.projection.")
                .rename(m + "blocks\\.(\\d+)\\.attn\\.proj\\.", layer + o + ".")
                .rename(m + "blocks\\.(\\d+)\\.ls(\\d)\\.gamma$", layer + "layer_scale$2.lambda1")
                .rename(m + "blocks\\.(\\d+)\\.", layer)
                .rename(m + "norm\\.", ckpt + "layernorm.");
    }

    public Dinov2(Dinov2Config cfg, DType dtype, Dev dev) {
        super(dtype, dev);
        this.cfg = cfg;
        int c = cfg.width(), g = cfg.gridSize();
        clsToken = param("cls_token", Init.normal(1e-6), 1, 1, c);
        posEmbed = param("pos_embed", Init.normal(0.02), 1, 1L + (long) g * g, c);
        registerTokens = cfg.numRegisters() > 0 ? param("register_tokens", Init.normal(1e-6), 1, cfg.numRegisters(), c) : null;
        maskToken = param("mask_token", Init.ZEROS, 1, c);
        patchEmbed = child("patch_embed.proj", new Conv2d(3, c, cfg.patchSize(), cfg.patchSize(), 0, true, dtype, dev));
        List<Block> bs = new ArrayList<>();
        for (int i = 0; i < cfg.depth(); i++) bs.add(new Block(cfg, dtype, dev));
        blocks = children("blocks", bs);
        norm = child("norm", new LayerNorm(c, cfg.eps(), dtype, dev));
    }

    /**
     * {@code forward_features}: normed CLS [B, C], normed registers [B, R, C], normed patches [B, gh*gw, C]
     * (row-major), the pre-norm tokens [B, 1+R+gh*gw, C], and the patch grid.
     */
    public record Features(Tensor clsToken, Tensor registerTokens, Tensor patchTokens, Tensor prenorm, int gridH, int gridW) {}

    /** pixels [B, 3, H, W] -> {@link Features}. */
    public Features forwardFeatures(Tensor pixels) {
        requireReady();
        int[] grid = grid(pixels);
        Tensor x = prepareTokens(pixels);
        for (Block b : blocks) x = b.forward(x);
        Tensor n = norm.forward(x);
        int r = cfg.numRegisters();
        return new Features(n.select(1, 0), n.narrow(1, 1, r), n.narrow(1, 1 + r, n.size(1) - 1 - r), x, grid[0], grid[1]);
    }

    /**
     * {@code get_intermediate_layers(x, n=layers, reshape=false, return_class_token=false, norm)}: patch tokens
     * [B, gh*gw, C] of each listed block (0-based), with the final norm when {@code applyNorm}; CLS and registers
     * dropped. Only the blocks up to the deepest listed one run. Use {@link #toGrid} for the reshaped [B, C, gh, gw].
     */
    public List<Tensor> intermediateLayers(Tensor pixels, int[] layers, boolean applyNorm) {
        requireReady();
        int max = -1;
        for (int l : layers) {
            if (l < 0 || l >= cfg.depth()) throw new IllegalArgumentException("DINOv2 layer " + l + " out of range [0, " + cfg.depth() + ")");
            max = Math.max(max, l);
        }
        Tensor x = prepareTokens(pixels);
        Tensor[] out = new Tensor[cfg.depth()];
        for (int i = 0; i <= max; i++) {
            x = blocks.get(i).forward(x);
            out[i] = x;
        }
        List<Tensor> res = new ArrayList<>();
        for (int l : layers) res.add(patches(applyNorm ? norm.forward(out[l]) : out[l]));
        return res;
    }

    /**
     * Dense descriptors for the CEM: patch tokens only (CLS and registers dropped) [B, gh*gw, C] of block
     * {@code layer} (0-based; negative counts from the end, -1 = last). {@link DinoFacet#TOKEN}: the block output, through
     * the final {@code norm} when {@code applyNorm}; {@link DinoFacet#KEY}: the block's attention keys (Amir et al.).
     * Blocks after {@code layer} do not run.
     */
    public Tensor features(Tensor pixels, int layer, DinoFacet facet, boolean applyNorm) {
        requireReady();
        int l = layer < 0 ? cfg.depth() + layer : layer;
        if (l < 0 || l >= cfg.depth()) throw new IllegalArgumentException("DINOv2 layer " + layer + " out of range for depth " + cfg.depth());
        Tensor x = prepareTokens(pixels);
        for (int i = 0; i < l; i++) x = blocks.get(i).forward(x);
        if (facet == DinoFacet.KEY) return patches(blocks.get(l).keys(x));
        x = blocks.get(l).forward(x);
        return patches(applyNorm ? norm.forward(x) : x);
    }

    /** Drops CLS and registers: [B, 1+R+N, C] -> [B, N, C]. */
    public Tensor patches(Tensor tokens) {
        int skip = 1 + cfg.numRegisters();
        return tokens.narrow(1, skip, tokens.size(1) - skip);
    }

    /** [B, gh*gw, C] -> [B, C, gh, gw] (row-major patch order). */
    public static Tensor toGrid(Tensor patches, int gh, int gw) {
        long b = patches.size(0), c = patches.size(2);
        if (patches.size(1) != (long) gh * gw)
            throw new IllegalArgumentException("cannot reshape " + T.shapeString(patches) + " to a " + gh + "x" + gw + " grid");
        return patches.reshape(b, gh, gw, c).permute(0, 3, 1, 2).contiguous();
    }

    /** Patch grid (gh, gw) of {@code pixels}, validating the input. */
    public int[] grid(Tensor pixels) {
        VisionOps.requireRank(pixels, 4, "DINOv2 pixels [B, 3, H, W]");
        long h = pixels.size(2), w = pixels.size(3), p = cfg.patchSize();
        if (pixels.size(1) != 3 || h % p != 0 || w % p != 0 || h == 0 || w == 0)
            throw new IllegalArgumentException("DINOv2 expects pixels [B, 3, H, W] with H and W positive multiples of the patch size " + p
                    + ", got " + T.shapeString(pixels));
        return new int[] {(int) (h / p), (int) (w / p)};
    }

    /** pixels [B, 3, H, W] -> tokens [B, 1 + R + gh*gw, C] (CLS + pos, registers, patches + pos). */
    public Tensor prepareTokens(Tensor pixels) {
        requireReady();
        int[] g = grid(pixels);
        Tensor x = patchEmbed.forward(VisionOps.like(pixels, this)); // [B, C, gh, gw]
        long b = x.size(0);
        x = x.flatten(2, 3).transpose(1, 2);
        x = T.cat(1, clsToken.t().expand(b, -1, -1), x);
        x = T.add(x, interpolatePosEncoding(g[0], g[1]));
        if (registerTokens == null) return x;
        return T.cat(1, x.narrow(1, 0, 1), registerTokens.t().expand(b, -1, -1), x.narrow(1, 1, x.size(1) - 1));
    }

    /**
     * The position embedding for a gh x gw patch grid [1, 1 + gh*gw, C] (CLS row first), in the module dtype.
     * Upstream's {@code interpolate_pos_encoding(x, H, W)}.
     */
    public Tensor interpolatePosEncoding(int gh, int gw) {
        requireReady();
        int m = cfg.gridSize();
        if ((long) gh * gw == (long) m * m && gh == gw) return posEmbed.t();
        long key = ((long) gh << 32) | gw;
        Tensor cached = posCache.get(key);
        if (cached != null) return cached;
        Tensor made;
        try (PointerScope scope = new PointerScope()) {
            long c = cfg.width();
            Tensor pe = posEmbed.t().detach();
            Tensor grid = pe.narrow(1, 1, (long) m * m).reshape(m, m, c);
            double off = cfg.interpolateOffset();
            double sfH = off != 0 ? (gh + off) / m : 0, sfW = off != 0 ? (gw + off) / m : 0;
            if (off != 0 && (Math.floor(m * sfH) != gh || Math.floor(m * sfW) != gw))
                throw new IllegalStateException("scale-factor interpolation gives a grid other than " + gh + "x" + gw);
            Tensor r = PosEmbedInterpolation.resize(grid, gh, gw, sfH, sfW, cfg.interpolateAntialias()).reshape(1, (long) gh * gw, c);
            Tensor cls = T.to(pe.narrow(1, 0, 1), DType.F32);
            made = T.keep(T.to(T.cat(1, cls, r), dtype()).contiguous());
        }
        Tensor prev = posCache.putIfAbsent(key, made);
        if (prev != null) {
            T.release(made);
            return prev;
        }
        return made;
    }

    @Override protected void onWeightsChanged() {
        clearPosCache();
    }

    private void clearPosCache() {
        for (Tensor t : posCache.values()) T.release(t);
        posCache.clear();
    }

    @Override public void close() {
        clearPosCache();
        super.close();
    }

    /** One DINOv2 block ({@code NestedTensorBlock} without xFormers). x [B, T, C] -> [B, T, C]. */
    public static final class Block extends Module {
        public final LayerNorm norm1, norm2;
        public final Linear qkv, proj;
        public final Param ls1, ls2;
        public final VitMlp mlp;
        private final int heads;

        Block(Dinov2Config cfg, DType dtype, Dev dev) {
            super(dtype, dev);
            int c = cfg.width();
            heads = cfg.heads();
            norm1 = child("norm1", new LayerNorm(c, cfg.eps(), dtype, dev));
            qkv = child("attn.qkv", new Linear(c, 3L * c, true, dtype, dev));
            proj = child("attn.proj", new Linear(c, c, true, dtype, dev));
            ls1 = cfg.layerScale() ? param("ls1.gamma", Init.ONES, c) : null;
            norm2 = child("norm2", new LayerNorm(c, cfg.eps(), dtype, dev));
            mlp = child("mlp", new VitMlp(c, cfg.mlpHidden(), dtype, dev));
            ls2 = cfg.layerScale() ? param("ls2.gamma", Init.ONES, c) : null;
        }

        public Tensor forward(Tensor x) {
            requireReady();
            Tensor a = proj.forward(selfAttention(norm1.forward(x)));
            x = ls1 == null ? T.add(x, a) : T.addcmul(x, a, ls1.t()); // x + gamma1 * a
            Tensor f = mlp.forward(norm2.forward(x));
            return ls2 == null ? T.add(x, f) : T.addcmul(x, f, ls2.t());
        }

        /** Multi-head self-attention before {@code attn.proj}. x [B, T, C] (already through norm1) -> [B, T, C]. */
        public Tensor selfAttention(Tensor x) {
            TensorVector p = qkvHeads(x).unbind(0);
            return VisionOps.mergeHeads(VisionOps.attend(p.get(0), p.get(1), p.get(2)));
        }

        /** qkv(x) as [3, B, H, T, D]. */
        private Tensor qkvHeads(Tensor x) {
            long b = x.size(0), n = x.size(1), c = x.size(2);
            return qkv.forward(x).reshape(b, n, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        }

        /**
         * The "key" facet of Amir et al.: keys of this block's attention recomputed from {@code norm1(x)} for the block
         * INPUT x [B, T, C] -> [B, T, C] with channel {@code di * H + hi} ({@code permute(0, 2, 3, 1).flatten(-2, -1)}).
         */
        public Tensor keys(Tensor x) {
            requireReady();
            Tensor k = qkvHeads(norm1.forward(x)).select(0, 1); // [B, H, T, D]
            return k.permute(0, 2, 3, 1).flatten(2, 3); // [B, T, D, H] -> [B, T, D*H]
        }
    }
}
