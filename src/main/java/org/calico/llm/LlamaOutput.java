package org.calico.llm;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * Result of one LLaMA forward (tensors owned by the caller's PointerScope).
 *
 * @param logits       [B, L, V] ({@link LlamaInputs.Logits#ALL}), [B, 1, V] ({@code LAST}) or null ({@code NONE}),
 *                     in the model dtype
 * @param lastHidden   [B, L, D] after the final RMSNorm: what lm_head reads and what the [SEG] path uses
 * @param hiddenStates null unless requested; else HF's {@code hidden_states} tuple: entry 0 = the input embeddings,
 *                     entry i = the output of decoder layer i-1, and the last entry (index numLayers) is replaced by
 *                     {@code lastHidden} (post final norm), numLayers + 1 entries
 * @param positions    I64 [B, L] position ids used for the new tokens
 */
public record LlamaOutput(Tensor logits, Tensor lastHidden, List<Tensor> hiddenStates, Tensor positions) {}
