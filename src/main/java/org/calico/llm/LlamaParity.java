package org.calico.llm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.TensorSource;
import org.calico.parity.ParityCase;
import org.calico.parity.ParityHandler;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * Parity handler for HF LLaMA fixtures ({@code ../shared/parity/hf_llama_*}):
 * {@code llama.causal_lm} (prompt logits, hidden states, then teacher-forced cached decode steps) and
 * {@code llama.inputs_embeds} (last_hidden_state and logits from spliced input embeddings). F32 on the CPU.
 */
public final class LlamaParity implements ParityHandler {
    @Override public Set<String> modules() { return Set.of("llama.causal_lm", "llama.inputs_embeds"); }

    @Override public Map<String, Tensor> run(ParityCase c, TensorSource weights, TensorSource io) {
        LlamaConfig cfg = LlamaConfig.fromHfJson(c.config(), c.name());
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (LlamaForCausalLM m = new LlamaForCausalLM(cfg, DType.F32, Dev.CPU)) {
            m.load(weights, m.hfMapping(), false);
            if (c.module().equals("llama.inputs_embeds")) {
                LlamaOutput o = m.forward(LlamaInputs.embeds(io.load("inputs_embeds")));
                out.put("last_hidden_state", T.copy(o.lastHidden()));
                out.put("logits", T.copy(o.logits()));
                return out;
            }
            Tensor ids = io.load("input_ids");
            Tensor next = io.contains("next_ids") ? io.load("next_ids") : null;
            long n = ids.size(1), steps = next == null ? 0 : next.size(1);
            try (KvCache cache = m.newCache(Math.toIntExact(ids.size(0)), Math.toIntExact(n + steps))) {
                LlamaOutput o = m.forward(LlamaInputs.ids(ids).cache(cache).allHidden(true));
                out.put("logits", T.copy(o.logits()));
                for (int i = 0; i < o.hiddenStates().size(); i++) out.put("hidden_states." + i, T.copy(o.hiddenStates().get(i)));
                if (next != null) {
                    List<Tensor> rows = new ArrayList<>();
                    for (long t = 0; t < steps; t++) {
                        LlamaOutput s = m.forward(LlamaInputs.ids(next.narrow(1, t, 1)).cache(cache).logits(LlamaInputs.Logits.LAST));
                        rows.add(s.logits());
                    }
                    out.put("decode_logits", T.cat(1, rows));
                }
            }
        }
        return out;
    }
}
