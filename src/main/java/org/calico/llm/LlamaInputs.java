package org.calico.llm;

import org.bytedeco.pytorch.Tensor;

/**
 * Arguments of one LLaMA forward pass (HF {@code model(input_ids=... | inputs_embeds=..., attention_mask=...,
 * position_ids=..., past_key_values=...)}), built fluently:
 * <pre>{@code LlamaInputs.ids(ids).cache(cache).hook(cam).allHidden(true)}</pre>
 * <ul>
 *   <li>{@code ids} I64 [B, L] or {@code embeds} [B, L, D] (model dtype; image tokens already spliced, no scaling);</li>
 *   <li>{@code attentionMask} [B, L] (the new tokens) or [B, past + L] (HF style, past part must agree with the
 *       cache), any integer/bool dtype, 1 = real token, 0 = padding; null = all real;</li>
 *   <li>{@code positionIds} I64 [B, L]; null = derived from the mask (number of real tokens before, HF
 *       {@code cumsum(mask) - 1}; padding slots get 1 like HF);</li>
 *   <li>{@code cache}: a {@link KvCache} to read past keys from and append to; null = no cache;</li>
 *   <li>{@code hook}: a {@link PrefillHook}, applied only when the cache is empty or absent;</li>
 *   <li>{@code allHidden}: also return every layer's hidden states (HF {@code output_hidden_states});</li>
 *   <li>{@code logits}: which positions get logits ({@link Logits#ALL}, {@link Logits#LAST} or {@link Logits#NONE}).</li>
 * </ul>
 * Tensors are referenced, not copied: keep them alive until the forward returns.
 */
public final class LlamaInputs {
    public enum Logits { ALL, LAST, NONE }

    final Tensor ids, embeds;
    Tensor attentionMask, positionIds;
    KvCache cache;
    PrefillHook hook;
    boolean allHidden;
    Logits logits = Logits.ALL;

    private LlamaInputs(Tensor ids, Tensor embeds) {
        this.ids = ids;
        this.embeds = embeds;
    }

    /** Token ids I64 [B, L]. */
    public static LlamaInputs ids(Tensor ids) {
        if (ids == null || ids.dim() != 2) throw new IllegalArgumentException("input ids must be [B, L], got " + (ids == null ? "null" : org.calico.tensor.T.shapeString(ids)));
        return new LlamaInputs(ids, null);
    }

    /** Input embeddings [B, L, D]. */
    public static LlamaInputs embeds(Tensor embeds) {
        if (embeds == null || embeds.dim() != 3) throw new IllegalArgumentException("inputs_embeds must be [B, L, D], got " + (embeds == null ? "null" : org.calico.tensor.T.shapeString(embeds)));
        return new LlamaInputs(null, embeds);
    }

    public LlamaInputs attentionMask(Tensor m) { this.attentionMask = m; return this; }

    public LlamaInputs positionIds(Tensor p) { this.positionIds = p; return this; }

    public LlamaInputs cache(KvCache c) { this.cache = c; return this; }

    public LlamaInputs hook(PrefillHook h) { this.hook = h; return this; }

    public LlamaInputs allHidden(boolean on) { this.allHidden = on; return this; }

    public LlamaInputs logits(Logits which) { this.logits = which; return this; }

    long batch() { return ids != null ? ids.size(0) : embeds.size(0); }

    long length() { return ids != null ? ids.size(1) : embeds.size(1); }
}
