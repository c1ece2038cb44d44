package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** Gradients reach the LoRA matrices and a hook's parameters through the full-sequence pass; the base stays frozen. */
class LoraTrainingTest {
    @Test void gradientsFlowToLoraAndHook() {
        try (LlamaForCausalLM m = LlamaTestSupport.tinyModel(DType.F32, 5); LoraAdapters a = LoraAdapters.attach(m, LoraConfig.calico(), 3);
             PointerScope s = new PointerScope()) {
            m.setTrainable(k -> false);
            a.train(true);
            Tensor camWeight = T.zeros(1, 1, 64).requires_grad_(true); // a zero-initialised residual, like CAM's projections
            PrefillHook hook = PrefillHook.at(Set.of(2), (l, h) -> T.add(h, T.mul(camWeight, h.narrow(1, 3, 1))));
            Tensor ids = LlamaTestSupport.ids(1, 9, 4, 33, 7, 21);
            Tensor loss = T.mean(m.forward(LlamaInputs.ids(ids).hook(hook)).logits(), -1, false).sum();
            loss.backward();
            LoraAdapters.Pair p = a.pairs().get("model.layers.1.self_attn.q_proj");
            Tensor gb = p.loraB.weight.t().grad();
            assertTrue(gb.defined() && T.item(gb.abs().sum()) > 0, "lora_B gets a gradient");
            assertTrue(p.loraA.weight.t().grad().defined(), "lora_A is in the graph (its gradient is 0 while B = 0, as in PEFT)");
            assertTrue(camWeight.grad().defined() && T.item(camWeight.grad().abs().sum()) > 0, "the hook's parameter gets a gradient");
            assertFalse(m.model.layers.get(1).selfAttn.qProj.weight.t().grad().defined(), "the base weight is frozen");
            // one SGD step on B changes the model's output
            Tensor before;
            try (NoGradGuard g = new NoGradGuard()) {
                a.train(false);
                before = m.logits(ids);
                for (LoraAdapters.Pair q : a.pairs().values()) {
                    Tensor w = q.loraB.weight.t();
                    if (w.grad().defined()) w.sub_(T.mul(w.grad(), 10.0));
                }
                assertTrue(T.maxAbsDiff(m.logits(ids), before) > 1e-6);
            }
        }
    }
}
