package org.calico.llm;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;
import org.calico.nn.Linear;
import org.calico.nn.LoadReport;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * LLaMA / Vicuna causal language model ({@code transformers.LlamaForCausalLM}): child {@code model}
 * ({@link LlamaModel}) and {@code lm_head.weight [V, D]} (not tied for Vicuna). State-dict names are exactly HF's:
 * {@code model.embed_tokens.weight}, {@code model.layers.{i}.self_attn.{q,k,v,o}_proj.weight},
 * {@code model.layers.{i}.mlp.{gate,up,down}_proj.weight},
 * {@code model.layers.{i}.{input_layernorm,post_attention_layernorm}.weight}, {@code model.norm.weight},
 * {@code lm_head.weight}. Runs in F32 or BF16 (F16 works but is not a target).
 *
 * <p>Thread safety: forward passes only read parameters and may run concurrently, each with its own
 * {@link KvCache}. Loading, {@link #to}, and LoRA attach/merge must not overlap a forward.
 */
public final class LlamaForCausalLM extends Module {
    /** HF checkpoints; the {@code rotary_emb.inv_freq} buffers of transformers <= 4.30 checkpoints are ignored. */
    public static final KeyMapping HF = KeyMapping.builder("HF LLaMA")
            .ignore("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq")
            .build();

    /**
     * GLaMM / CALICO merged checkpoints (spec §2.7): the LLM keys are HF's; the other boxes' keys
     * ({@code model.mm_projector.*}, {@code model.region_encoder.*}, {@code model.text_hidden_fcs.*},
     * {@code model.grounding_encoder.*}, {@code model.vision_tower.*}) are knowingly left to their own modules.
     */
    public static final KeyMapping GLAMM = HF.toBuilder()
            .ignore("model\\.(mm_projector|region_encoder|text_hidden_fcs|grounding_encoder|vision_tower)\\..*")
            .build();

    public final LlamaConfig config;
    public final LlamaModel model;
    public final Linear lmHead;

    public LlamaForCausalLM(LlamaConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = c;
        model = child("model", new LlamaModel(c, dtype, dev));
        lmHead = child("lm_head", new Linear(c.hiddenSize(), c.vocabSize(), false, dtype, dev));
    }

    /** The HF mapping for this config: with tied embeddings {@code lm_head.weight} is read from {@code model.embed_tokens.weight}. */
    public KeyMapping hfMapping() {
        if (!config.tieWordEmbeddings()) return HF;
        return HF.toBuilder().rename("^lm_head\\.weight$", "model.embed_tokens.weight").build();
    }

    /**
     * Loads an HF model directory ({@code config.json} + {@code model.safetensors} or a sharded index) in
     * {@code dtype} on {@code dev}.
     */
    public static LlamaForCausalLM fromPretrained(Path dir, DType dtype, Dev dev) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException(dir + ": no config.json");
        LlamaConfig c = LlamaConfig.fromHfJson(cfg);
        LlamaForCausalLM m = new LlamaForCausalLM(c, dtype, dev);
        try (TensorSource src = SafeTensors.open(dir)) {
            m.load(src, m.hfMapping(), false);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Loads weights through {@code mapping}, refusing unexpected keys. */
    public LoadReport loadWeights(TensorSource src, KeyMapping mapping) { return load(src, mapping, false); }

    /** A KV cache for {@code batch} sequences of up to {@code capacity} tokens (prompt + generated). */
    public KvCache newCache(int batch, int capacity) {
        if (capacity > config.maxPositionEmbeddings())
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        return new KvCache(config, batch, capacity, dtype(), device());
    }

    /** Token embeddings: ids I64 [B, L] -> [B, L, D] (no scaling), the start of an {@code inputs_embeds} sequence. */
    public Tensor embed(Tensor ids) {
        return model.embed(ids.is_cuda() == device().cuda() ? ids : T.to(ids, device(), DType.I64));
    }

    /** One forward pass; see {@link LlamaInputs} for the arguments and {@link LlamaOutput} for the shapes. */
    public LlamaOutput forward(LlamaInputs in) {
        requireReady();
        LlamaModel.Result r = model.forward(in);
        Tensor logits = switch (in.logits) {
            case ALL -> DecodeLinear.apply(r.lastHidden(), lmHead.weight.t());
            case LAST -> DecodeLinear.apply(r.lastHidden().narrow(1, r.lastHidden().size(1) - 1, 1), lmHead.weight.t());
            case NONE -> null;
        };
        return new LlamaOutput(logits, r.lastHidden(), r.hidden(), r.positions());
    }

    /** Logits of every position for ids I64 [B, L] -> [B, L, V] (no cache, no hook). */
    public Tensor logits(Tensor ids) { return forward(LlamaInputs.ids(ids)).logits(); }

    /** Number of parameters (6.74e9 for Vicuna-7B with vocab 32000). */
    public long size() { return parameterCount(); }

    @Override public String toString() {
        return "LlamaForCausalLM[" + config + ", " + dtype() + ", " + device() + "]";
    }
}
