package org.calico.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.CamInjectionOp;
import org.calico.kernels.Ops;
import org.calico.nn.Init;
import org.calico.nn.KeyMapping;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * CALICO's Correspondence Adaptation Module (paper eq. 7-9; spec sections 5 and 7), built like Cheetah's VPG-C
 * ({@code Cheetah/cheetah/models/modeling_llama.py::LlamaModel.forward}): before LLM decoder layer l runs,
 * <pre>
 *   t      = hidden[b, lastInstructionIndex[b]]                       [B, D]
 *   q'     = query_tokens + f_adaptation(t)                           [B, Nq, D_I]
 *   X'_i   = QFormer(q', fused[b, i])   (query LayerNorm applied to q' inside the Q-Former, as to any query)
 *   hidden[b, span_i] += f_reintegration(X'_i)                        span_i = image i's Nq token positions
 * </pre>
 * for every image i of every row b, with one batched Q-Former forward over all (row, image) pairs. The Q-Former is the
 * frozen, shared BLIP-2 one; it is held by reference and is not part of this module's parameters.
 * Both projections are zero-initialised, so an untrained CAM returns {@code hidden} unchanged, bit for bit.
 *
 * <p>Parameter names (CALICO's own; a parent holding k CAMs registers them as {@code children("cam", ...)}, giving
 * {@code cam.{i}.f_adaptation.weight} etc.): {@code f_adaptation.{weight [D_I, D], bias [D_I]}},
 * {@code f_reintegration.{weight [D, D_I], bias [D]}}, {@code query_tokens [1, Nq, D_I]}.
 * Checkpoint layouts: {@link #CHEETAH}; {@link #FROM_BLIP2} initialises the queries from a BLIP-2 checkpoint.
 */
public final class Cam extends Module {
    public final CamConfig cfg;
    public final Linear fAdaptation, fReintegration;
    public final Param queryTokens;
    private final QFormer qformer;
    /** adapt / reintegrate around the Q-Former call: native kernels, or LibTorch (autograd, {@code torch}). */
    private final CamInjectionOp injectOp = Ops.camInjection();

    /** Cheetah's VPG-C weights: {@code llama_model.model.qformer_proj / llm_proj / query_tokens} (spec section 5). */
    public static final KeyMapping CHEETAH = KeyMapping.builder("CAM from Cheetah VPG-C")
            .rename("^f_adaptation\\.", "llama_model.model.qformer_proj.")
            .rename("^f_reintegration\\.", "llama_model.model.llm_proj.")
            .rename("^query_tokens$", "llama_model.model.query_tokens")
            .build();

    /**
     * A fresh CAM from a BLIP-2 checkpoint (HF or LAVIS; both name them {@code query_tokens}): the query tokens are
     * copied from BLIP-2's, the projections keep their zero initialisation, every other key is knowingly unused.
     */
    public static final KeyMapping FROM_BLIP2 = KeyMapping.builder("CAM initialised from BLIP-2 query_tokens")
            .optional("f_(adaptation|reintegration)\\.(weight|bias)")
            .ignore(".*")
            .build();

    /**
     * @param qformer the frozen, shared Q-Former (same dtype and device as this CAM)
     */
    public Cam(CamConfig cfg, QFormer qformer, DType dtype, Dev dev) {
        super(dtype, dev);
        if (qformer.cfg.hidden() != cfg.qformerHidden())
            throw new IllegalArgumentException("CAM qformerHidden " + cfg.qformerHidden() + " != Q-Former width " + qformer.cfg.hidden());
        if (qformer.dtype() != dtype || !qformer.device().equals(dev))
            throw new IllegalArgumentException("CAM is " + dtype + "/" + dev + " but its Q-Former is " + qformer.dtype() + "/" + qformer.device());
        this.cfg = cfg;
        this.qformer = qformer;
        fAdaptation = child("f_adaptation", new Linear(cfg.llmHidden(), cfg.qformerHidden(), true, Init.ZEROS, dtype, dev));
        fReintegration = child("f_reintegration", new Linear(cfg.qformerHidden(), cfg.llmHidden(), true, Init.ZEROS, dtype, dev));
        queryTokens = param("query_tokens", Init.normal(0.02), 1, cfg.numQueries(), cfg.qformerHidden());
    }

    public QFormer qformer() { return qformer; }

    /**
     * Cheetah's initialisation: projections zero, query tokens a copy of BLIP-2's {@code query_tokens}
     * [1, Nq, D_I]. The CAM becomes ready.
     */
    public void initFromBlip2QueryTokens(Tensor blip2QueryTokens) {
        long[] want = queryTokens.shape();
        if (!Arrays.equals(T.shape(blip2QueryTokens), want))
            throw new IllegalArgumentException("BLIP-2 query_tokens " + T.shapeString(blip2QueryTokens) + " do not match the CAM's " + Arrays.toString(want));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Param p : List.of(fAdaptation.weight, fAdaptation.bias, fReintegration.weight, fReintegration.bias)) p.t().zero_();
            queryTokens.t().copy_(blip2QueryTokens);
        }
        markReady();
    }

    /**
     * hidden [B, L, D] (input of the LLM layer this CAM sits before) -> hidden' [B, L, D] (new tensor, hidden's
     * dtype).
     *
     * @param lastInstructionIndex per row, the position of the last token of the input/instruction part
     * @param spans                per row, the token span of each image (length must be {@code numQueries})
     * @param fusedFeatures        [B, nImages, S, C]: CEM output X'_global per image (image i of row b is
     *                             {@code fusedFeatures[b, i]}; rows with fewer spans ignore the trailing images)
     */
    public Tensor inject(Tensor hidden, long[] lastInstructionIndex, ImageSpans spans, Tensor fusedFeatures) {
        requireReady();
        if (!qformer.isReady()) throw new org.calico.nn.ModuleNotReadyException("CAM: the shared Q-Former has not been loaded or initialised");
        VisionOps.requireRank(hidden, 3, "CAM hidden [B, L, D]");
        VisionOps.requireDim(hidden, 2, cfg.llmHidden(), "CAM hidden [B, L, " + cfg.llmHidden() + "]");
        VisionOps.requireRank(fusedFeatures, 4, "CAM fusedFeatures [B, nImages, S, C]");
        VisionOps.requireDim(fusedFeatures, 3, qformer.cfg.encoderHidden(), "CAM fusedFeatures [B, nImages, S, " + qformer.cfg.encoderHidden() + "]");
        long b = hidden.size(0), l = hidden.size(1), d = hidden.size(2);
        long nImg = fusedFeatures.size(1), s = fusedFeatures.size(2), c = fusedFeatures.size(3);
        int nq = cfg.numQueries();
        if (lastInstructionIndex.length != b)
            throw new IllegalArgumentException("CAM: " + lastInstructionIndex.length + " lastInstructionIndex values for batch " + b);
        if (spans.rows() != b) throw new IllegalArgumentException("CAM: spans for " + spans.rows() + " rows, batch is " + b);
        if (fusedFeatures.size(0) != b)
            throw new IllegalArgumentException("CAM: fusedFeatures " + T.shapeString(fusedFeatures) + " batch differs from hidden " + T.shapeString(hidden));
        List<Long> pairRow = new ArrayList<>(), pairImage = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            long li = lastInstructionIndex[r];
            if (li < 0 || li >= l) throw new IllegalArgumentException("CAM: lastInstructionIndex[" + r + "] = " + li + " outside [0, " + l + ")");
            List<ImageSpans.Span> row = spans.row(r);
            if (row.size() > nImg)
                throw new IllegalArgumentException("CAM: row " + r + " has " + row.size() + " image spans but fusedFeatures holds " + nImg + " images");
            boolean[] used = new boolean[(int) l];
            for (int i = 0; i < row.size(); i++) {
                ImageSpans.Span sp = row.get(i);
                if (sp.length() != nq)
                    throw new IllegalArgumentException("CAM: row " + r + " image " + i + " span " + sp + " must have length " + nq + " (one token per query)");
                if (sp.end() > l)
                    throw new IllegalArgumentException("CAM: row " + r + " image " + i + " span " + sp + " runs past the sequence length " + l);
                for (long p = sp.start(); p < sp.end(); p++) {
                    if (used[(int) p]) throw new IllegalArgumentException("CAM: row " + r + " image spans overlap at position " + p);
                    used[(int) p] = true;
                }
                pairRow.add((long) r);
                pairImage.add(r * nImg + i);
            }
        }
        if (pairRow.isEmpty()) return hidden;
        Dev dev = VisionOps.devOf(hidden);
        Tensor h = VisionOps.like(hidden, this);
        int p = pairRow.size();
        long[] rows = new long[p], starts = new long[p];
        for (int j = 0, r = 0; r < b; r++)
            for (ImageSpans.Span sp : spans.row(r)) {
                rows[j] = r;
                starts[j++] = sp.start();
            }
        // q'[b] = query_tokens + f_adaptation(hidden[b, last[b]])                            [B, Nq, D_I]
        Tensor qPrime = injectOp.adapt(h, lastInstructionIndex, new CamInjectionOp.AdaptWeights(fAdaptation.weight.t(),
                fAdaptation.bias.t(), queryTokens.t()));
        Tensor q = T.indexSelect(qPrime, 0, indices(pairRow, dev)); // [P, Nq, D_I]
        Tensor enc = T.indexSelect(fusedFeatures.reshape(b * nImg, s, c), 0, indices(pairImage, dev)); // [P, S, C]
        Tensor out = qformer.forward(q, enc); // [P, Nq, D_I]
        // hidden[rows[j], starts[j] : starts[j] + Nq] += f_reintegration(out[j])  (a new tensor)
        Tensor res = injectOp.reintegrate(h, rows, starts, out, new CamInjectionOp.ReintegrateWeights(fReintegration.weight.t(),
                fReintegration.bias.t()));
        return T.dtype(res) != T.dtype(hidden) ? T.to(res, T.dtype(hidden)) : res;
    }

    /** Releases the parameters and the op's cached state. */
    @Override public void close() {
        injectOp.close();
        super.close();
    }

    private static Tensor indices(List<Long> v, Dev dev) {
        long[] a = new long[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = v.get(i);
        return indices(a, dev);
    }

    private static Tensor indices(long[] a, Dev dev) {
        Tensor t = T.fromLongs(a, a.length);
        return dev.cuda() ? T.to(t, dev, DType.I64) : t;
    }
}
