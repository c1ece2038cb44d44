package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.Ops;
import org.calico.kernels.SamMaskDecodingOp;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The two-way transformer's {@code Attention} ({@code segment_anything/modeling/transformer.py}): q/k/v projections
 * C -> C/downsample, heads, {@code softmax(q k^T / sqrt(c_per_head)) v}, {@code out_proj} back to C.
 * Parameters {@code q_proj, k_proj, v_proj} ({@code [C/r, C]}, bias) and {@code out_proj} ({@code [C, C/r]}, bias).
 *
 * <p>{@link #forward} runs through {@link Ops#samMaskDecoding(SamMaskDecodingOp)}: CALICO's native attention kernel
 * (projections as GEMMs, batch-1 inputs read with batch stride 0) when no gradient is needed, else this class's
 * LibTorch code ({@link #forwardComposite}: {@link #forwardSharedKeys} / {@link #forwardSharedQueries} for batch-1
 * inputs).
 */
public final class DecoderAttention extends Module {
    public final int embeddingDim, internalDim, numHeads;
    public final Linear qProj, kProj, vProj, outProj;

    public DecoderAttention(int embeddingDim, int numHeads, int downsampleRate, DType dtype, Dev dev) {
        super(dtype, dev);
        this.embeddingDim = embeddingDim;
        this.internalDim = embeddingDim / downsampleRate;
        this.numHeads = numHeads;
        if (internalDim % numHeads != 0)
            throw new IllegalArgumentException("num_heads " + numHeads + " must divide the attention dim " + internalDim);
        this.qProj = child("q_proj", new Linear(embeddingDim, internalDim, true, dtype, dev));
        this.kProj = child("k_proj", new Linear(embeddingDim, internalDim, true, dtype, dev));
        this.vProj = child("v_proj", new Linear(embeddingDim, internalDim, true, dtype, dev));
        this.outProj = child("out_proj", new Linear(internalDim, embeddingDim, true, dtype, dev));
    }

    private final SamMaskDecodingOp op = Ops.samMaskDecoding(new SamMaskDecodingOp() {
        @Override public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w) { return forwardComposite(q, k, v); }

        @Override public Tensor upscale(Tensor src, UpscaleWeights w) { throw new UnsupportedOperationException("attention only"); }

        @Override public Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w) { throw new UnsupportedOperationException("attention only"); }
    });

    /**
     * Upstream {@code forward(q, k, v)}: q [Bq, Nq, C], k/v [Bk, Nk, C] -> [B, Nq, C], where each batch is 1 or
     * B = max(Bq, Bk); a batch-1 input is shared by every prompt (same result as repeating it B times).
     */
    public Tensor forward(Tensor q, Tensor k, Tensor v) {
        requireReady();
        return op.attention(q, k, v, new SamMaskDecodingOp.AttentionWeights(qProj.weight.t(), qProj.bias.t(), kProj.weight.t(),
                kProj.bias.t(), vProj.weight.t(), vProj.bias.t(), outProj.weight.t(), outProj.bias.t(), numHeads));
    }

    /** {@link #forward} in LibTorch ops (autograd, {@code -Dcalico.kernels=torch}). */
    public Tensor forwardComposite(Tensor q, Tensor k, Tensor v) {
        requireReady();
        long bq = q.size(0), bk = k.size(0), bv = v.size(0), b = Math.max(bq, Math.max(bk, bv));
        if (b > 1 && bq == b && bk == 1 && bv == 1) return forwardSharedKeys(q, k, v);
        if (b > 1 && bq == 1 && bk == b && bv == b) return forwardSharedQueries(q, k, v);
        if (bq != b) q = q.expand(b, -1, -1);
        if (bk != b) k = k.expand(b, -1, -1);
        if (bv != b) v = v.expand(b, -1, -1);
        Tensor o = attend(heads(qProj.forward(q)), heads(kProj.forward(k)), heads(vProj.forward(v)));
        return outProj.forward(merge(o));
    }

    /** Releases the parameters and the op's cached state. */
    @Override public void close() {
        op.close();
        super.close();
    }

    /**
     * Queries of B prompts attending to keys/values shared by all of them (batch 1): q [B, Nq, C], k/v [1, Nk, C] ->
     * [B, Nq, C]. The B*Nq query rows are stacked into one batch so the shared keys are projected and read once; the
     * result equals {@link #forward} on keys repeated B times.
     */
    public Tensor forwardSharedKeys(Tensor q, Tensor k, Tensor v) {
        requireReady();
        long b = q.size(0), nq = q.size(1);
        Tensor qh = heads(qProj.forward(q));                                      // [B, h, Nq, d]
        long d = qh.size(3);
        Tensor qs = qh.permute(1, 0, 2, 3).reshape(1, numHeads, b * nq, d);       // [1, h, B*Nq, d]
        Tensor o = attend(qs, heads(kProj.forward(k)), heads(vProj.forward(v)));  // [1, h, B*Nq, d]
        o = o.reshape(numHeads, b, nq, d).permute(1, 0, 2, 3);                    // [B, h, Nq, d]
        return outProj.forward(merge(o));
    }

    /**
     * Queries shared by all B prompts (batch 1) attending to per-prompt keys/values: q [1, Nq, C], k/v [B, Nk, C] ->
     * [B, Nq, C]; the shared queries are projected once.
     */
    public Tensor forwardSharedQueries(Tensor q, Tensor k, Tensor v) {
        requireReady();
        long b = k.size(0);
        Tensor qh = heads(qProj.forward(q));                                      // [1, h, Nq, d]
        Tensor o = attend(qh.expand(b, -1, -1, -1), heads(kProj.forward(k)), heads(vProj.forward(v)));
        return outProj.forward(merge(o));
    }

    /** The attention core on projected heads: q [B, h, Nq, d], k/v [B, h, Nk, d] -> [B, h, Nq, d]. */
    public Tensor attend(Tensor q, Tensor k, Tensor v) {
        return T.sdpa(q, k, v, null, 1.0 / Math.sqrt(q.size(3)), false);
    }

    /** {@code _separate_heads}: [B, N, c] -> [B, h, N, c/h]. */
    private Tensor heads(Tensor x) {
        return x.reshape(x.size(0), x.size(1), numHeads, x.size(2) / numHeads).transpose(1, 2);
    }

    /** {@code _recombine_heads}: [B, h, N, d] -> [B, N, h*d]. */
    private static Tensor merge(Tensor x) {
        return x.transpose(1, 2).reshape(x.size(0), x.size(2), x.size(1) * x.size(3));
    }
}
