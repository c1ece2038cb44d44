package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * LLaMA self-attention ({@code modeling_llama.py::LlamaAttention}) with GQA and a KV cache.
 * Parameters {@code q_proj.weight [H*d, D]}, {@code k_proj.weight [Hkv*d, D]}, {@code v_proj.weight [Hkv*d, D]},
 * {@code o_proj.weight [D, H*d]}, no biases. RoPE is applied per head after the split and before caching (the cache
 * holds rotated keys). Query head h reads kv head {@code h / (H / Hkv)} (HF {@code repeat_kv}). Attention is LibTorch's
 * {@code scaled_dot_product_attention} with scale {@code d^-0.5} in F32 and on CUDA, and HF's eager composite
 * (softmax in F32) for BF16/F16 on the CPU (see {@code useMath}). {@code q_proj} and {@code v_proj} are {@link LoraLinear}s (LoRA targets).
 */
public final class LlamaAttention extends Module {
    public final LoraLinear qProj, vProj;
    public final Linear kProj, oProj;
    private final int heads, kvHeads, headDim;

    public LlamaAttention(LlamaConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        heads = c.numHeads();
        kvHeads = c.numKvHeads();
        headDim = c.headDim();
        long d = c.hiddenSize();
        qProj = child("q_proj", new LoraLinear(d, (long) heads * headDim, dtype, dev));
        kProj = child("k_proj", new Linear(d, (long) kvHeads * headDim, false, dtype, dev));
        vProj = child("v_proj", new LoraLinear(d, (long) kvHeads * headDim, dtype, dev));
        oProj = child("o_proj", new Linear((long) heads * headDim, d, false, dtype, dev));
    }

    /**
     * x [B, L, D]; cos/sin [B, L, d]; mask: bool [B, 1, L, past+L] (true = attend) or null; causal: use the implicit
     * causal mask (only valid when there is no past); cache/layer: where keys and values are stored (cache may be
     * null), past = tokens already in the cache. Returns [B, L, D].
     */
    Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, boolean causal, KvCache cache, int layer, int past) {
        requireReady();
        long b = x.size(0), l = x.size(1);
        Tensor q = qProj.forward(x).view(b, l, heads, headDim).transpose(1, 2);
        Tensor k = DecodeLinear.apply(x, kProj.weight.t()).view(b, l, kvHeads, headDim).transpose(1, 2);
        Tensor v = vProj.forward(x).view(b, l, kvHeads, headDim).transpose(1, 2);
        q = Rope.apply(q, cos, sin);
        k = Rope.apply(k, cos, sin);
        if (cache != null) {
            Tensor[] kv = cache.append(layer, past, k, v);
            k = kv[0];
            v = kv[1];
        }
        if (kvHeads != heads) {
            k = repeatKv(k);
            v = repeatKv(v);
        }
        Tensor o = useMath(q) ? mathAttention(q, k, v, mask, causal, past, headDim) : T.sdpa(q, k, v, mask, 1.0 / Math.sqrt(headDim), causal);
        o = o.transpose(1, 2).reshape(b, l, (long) heads * headDim);
        return DecodeLinear.apply(o, oProj.weight.t());
    }

    private static final String MODE = System.getProperty("calico.llama.attention", "auto");

    /**
     * Attention implementation: LibTorch's SDPA, except for BF16/F16 on the CPU, where the LibTorch 2.10 CPU build's
     * fused kernel is ~20x slower than the composite below at a 100-token prefill (docs/performance.md).
     * {@code -Dcalico.llama.attention=sdpa|math} forces one.
     */
    private static boolean useMath(Tensor q) {
        if (MODE.equals("math")) return true;
        if (MODE.equals("sdpa")) return false;
        return !q.is_cuda() && T.dtype(q) != DType.F32;
    }

    /**
     * HF eager attention ({@code eager_attention_forward}): softmax(q k^T * d^-0.5 + mask) in F32, cast back, times v.
     * mask: bool (true = attend) or null; causal (no past) builds the lower-triangular mask.
     */
    static Tensor mathAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, int past, int headDim) {
        Tensor s = T.mul(T.matmul(q, k.transpose(2, 3)), 1.0 / Math.sqrt(headDim));
        if (mask == null && causal) {
            long lq = q.size(2), lk = k.size(2);
            mask = T.ones(DType.BOOL, org.calico.tensor.Dev.CPU, lq, lk).tril(past);
            if (q.is_cuda()) mask = mask.to(q.device(), DType.BOOL.scalarType());
        }
        if (mask != null) s = s.masked_fill(mask.logical_not(), new org.bytedeco.pytorch.Scalar(Double.NEGATIVE_INFINITY));
        Tensor p = T.softmax(s, -1, DType.F32);
        if (T.dtype(q) != DType.F32) p = T.to(p, T.dtype(q));
        return T.matmul(p, v);
    }

    /** [B, Hkv, T, d] -> [B, H, T, d], kv head j serving query heads j*n .. j*n+n-1 (HF repeat_kv). */
    private Tensor repeatKv(Tensor kv) {
        long b = kv.size(0), t = kv.size(2);
        int n = heads / kvHeads;
        return kv.unsqueeze(2).expand(b, kvHeads, n, t, headDim).reshape(b, heads, t, headDim);
    }
}
