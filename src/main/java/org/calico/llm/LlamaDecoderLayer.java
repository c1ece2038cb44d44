package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * One pre-norm LLaMA block ({@code modeling_llama.py::LlamaDecoderLayer}):
 * {@code h = h + self_attn(input_layernorm(h)); h = h + mlp(post_attention_layernorm(h))}.
 * Children {@code self_attn}, {@code mlp}, {@code input_layernorm}, {@code post_attention_layernorm}.
 * forward: h [B, L, D] -> [B, L, D].
 */
public final class LlamaDecoderLayer extends Module {
    public final LlamaAttention selfAttn;
    public final LlamaMlp mlp;
    public final RmsNorm inputLayernorm, postAttentionLayernorm;

    public LlamaDecoderLayer(LlamaConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        selfAttn = child("self_attn", new LlamaAttention(c, dtype, dev));
        mlp = child("mlp", new LlamaMlp(c, dtype, dev));
        inputLayernorm = child("input_layernorm", new RmsNorm(c.hiddenSize(), c.rmsNormEps(), dtype, dev));
        postAttentionLayernorm = child("post_attention_layernorm", new RmsNorm(c.hiddenSize(), c.rmsNormEps(), dtype, dev));
    }

    /** See {@link LlamaAttention#forward} for the arguments. */
    public Tensor forward(Tensor h, Tensor cos, Tensor sin, Tensor mask, boolean causal, KvCache cache, int layer, int past) {
        requireReady();
        Tensor a = selfAttn.forward(inputLayernorm.forward(h), cos, sin, mask, causal, cache, layer, past);
        h = T.add(h, a);
        return T.add(h, mlp.forward(postAttentionLayernorm.forward(h)));
    }
}
