package org.calico.vision;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.CemFusionOp;
import org.calico.kernels.Ops;
import org.calico.nn.Init;
import org.calico.nn.LayerNorm;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * CALICO's Correspondence Extraction Module (paper eq. 4-6; spec section 7 decisions): one multi-head
 * cross-attention in EVA width where the EVA-CLIP features query self-supervised DINOv2 descriptors.
 *
 * <pre>
 * X_global [B, S, C] (ln_vision(EVA(x)), S = 257, C = 1408)      X_semantic [B, T, Cd] (DINOv2 patches, T = 256, Cd = 1024)
 *   q = q_proj(norm_q(X_global))        [B, S, C]
 *   k = k_proj(norm_kv(X_semantic))     [B, T, C]      v = v_proj(norm_kv(X_semantic))   [B, T, C]
 *   a = MHA(q, k, v), heads x (C / heads)                [B, S, C]
 *   X'_global = X_global + out_proj(a)                   [B, S, C]   (EVA's shape)
 * </pre>
 * {@code out_proj} (weight and bias) is zero-initialised, so an untrained CEM returns X_global unchanged, bit for bit.
 *
 * <p>Parameter names (CALICO's own; under a parent they appear as e.g. {@code cem.q_proj.weight}):
 * {@code norm_q.{weight,bias} [C]}, {@code norm_kv.{weight,bias} [Cd]}, {@code q_proj.{weight [C,C], bias}},
 * {@code k_proj.{weight [C,Cd], bias}}, {@code v_proj.{weight [C,Cd], bias}}, {@code out_proj.{weight [C,C], bias}}.
 */
public final class Cem extends Module {
    public final CemConfig cfg;
    public final LayerNorm normQ, normKv;
    public final Linear qProj, kProj, vProj, outProj;
    /** The whole block runs through this op: CALICO's native kernels, or {@link #forwardComposite} (autograd, torch). */
    private final CemFusionOp fusionOp = Ops.cemFusion((x, sem, w) -> forwardComposite(x, sem));

    public Cem(CemConfig cfg, DType dtype, Dev dev) {
        super(dtype, dev);
        this.cfg = cfg;
        int c = cfg.evaWidth(), cd = cfg.dinoWidth();
        normQ = child("norm_q", new LayerNorm(c, cfg.eps(), dtype, dev));
        normKv = child("norm_kv", new LayerNorm(cd, cfg.eps(), dtype, dev));
        qProj = child("q_proj", new Linear(c, c, true, dtype, dev));
        kProj = child("k_proj", new Linear(cd, c, true, dtype, dev));
        vProj = child("v_proj", new Linear(cd, c, true, dtype, dev));
        outProj = child("out_proj", new Linear(c, c, true, Init.ZEROS, dtype, dev));
    }

    /** xGlobal [B, S, C], xSemantic [B, T, Cd] -> X'_global [B, S, C]. */
    public Tensor forward(Tensor xGlobal, Tensor xSemantic) {
        requireReady();
        VisionOps.requireRank(xGlobal, 3, "CEM X_global [B, S, C]");
        VisionOps.requireRank(xSemantic, 3, "CEM X_semantic [B, T, Cd]");
        VisionOps.requireDim(xGlobal, 2, cfg.evaWidth(), "CEM X_global [B, S, " + cfg.evaWidth() + "]");
        VisionOps.requireDim(xSemantic, 2, cfg.dinoWidth(), "CEM X_semantic [B, T, " + cfg.dinoWidth() + "]");
        if (xGlobal.size(0) != xSemantic.size(0))
            throw new IllegalArgumentException("CEM: batch of X_global " + T.shapeString(xGlobal) + " differs from X_semantic " + T.shapeString(xSemantic));
        return fusionOp.forward(VisionOps.like(xGlobal, this), VisionOps.like(xSemantic, this), new CemFusionOp.Weights(
                normQ.weight.t(), normQ.bias.t(), normKv.weight.t(), normKv.bias.t(), qProj.weight.t(), qProj.bias.t(),
                kProj.weight.t(), kProj.bias.t(), vProj.weight.t(), vProj.bias.t(), outProj.weight.t(), outProj.bias.t(),
                cfg.heads(), cfg.eps()));
    }

    /**
     * {@link #forward} in LibTorch ops (the autograd path and {@code -Dcalico.kernels=torch}); inputs already in this
     * module's dtype and device.
     */
    public Tensor forwardComposite(Tensor xg, Tensor xs) {
        requireReady();
        Tensor ctx = crossAttention(normQ.forward(xg), normKv.forward(xs));
        return T.add(xg, outProj.forward(ctx));
    }

    /**
     * The attention before {@code out_proj}: q = q_proj(qIn), k = k_proj(kvIn), v = v_proj(kvIn), softmax(q k^T /
     * sqrt(d)) v per head, heads concatenated. qIn [B, S, C] (normed), kvIn [B, T, Cd] (normed) -> [B, S, C].
     * (A native kernel can be dispatched here.)
     */
    public Tensor crossAttention(Tensor qIn, Tensor kvIn) {
        requireReady();
        int h = cfg.heads();
        Tensor q = VisionOps.splitHeads(qProj.forward(qIn), h);
        Tensor k = VisionOps.splitHeads(kProj.forward(kvIn), h);
        Tensor v = VisionOps.splitHeads(vProj.forward(kvIn), h);
        return VisionOps.mergeHeads(VisionOps.attend(q, k, v));
    }

    /** Releases the parameters and the op's cached weights. */
    @Override public void close() {
        fusionOp.close();
        super.close();
    }

    @Override protected void onWeightsChanged() { fusionOp.close(); }

    /** X_semantic for {@code dinoPixels} [B, 3, H, W] by this CEM's layer/facet/norm choice: [B, gh*gw, Cd]. */
    public Tensor semanticFeatures(Dinov2 dino, Tensor dinoPixels) {
        if (dino.cfg.width() != cfg.dinoWidth())
            throw new IllegalArgumentException("CEM expects DINOv2 width " + cfg.dinoWidth() + ", the model has " + dino.cfg.width());
        return dino.features(dinoPixels, cfg.dinoLayer(), cfg.facet(), cfg.dinoFinalNorm());
    }
}
