package org.calico.llm;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/** Small helpers for the LLaMA tests: random tiny models and tensor comparisons. */
final class LlamaTestSupport {
    private LlamaTestSupport() {}

    /** tiny(vocab 64): 4 layers, width 64, 4 heads, 2 kv heads; norms perturbed so that they matter. */
    static LlamaForCausalLM tinyModel(DType dtype, long seed) {
        LlamaForCausalLM m = new LlamaForCausalLM(LlamaConfig.tiny(64), dtype, Dev.CPU);
        m.initRandom(seed);
        return m;
    }

    static Tensor ids(long... v) { return T.fromLongs(v, 1, v.length); }

    static boolean bitEqual(Tensor a, Tensor b) { return a.equal(b); }
}
