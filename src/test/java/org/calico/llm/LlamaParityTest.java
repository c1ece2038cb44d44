package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.calico.TestSupport;
import org.calico.parity.ParityResult;
import org.calico.parity.ParityRunner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HF LLaMA parity fixtures (../shared/parity/hf_llama_*): logits, hidden states, GQA, cached decoding, inputs_embeds. */
class LlamaParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"hf_llama_causal_lm", "hf_llama_causal_lm_gqa", "hf_llama_inputs_embeds"})
    void passes(String name) {
        Path dir = TestSupport.parityCase(name);
        Assumptions.assumeTrue(dir != null && dir.toFile().isDirectory(), "parity fixtures not present");
        ParityResult r = ParityRunner.withAllHandlers().run(dir);
        assertEquals(ParityResult.Status.PASS, r.status(), r.line());
        assertTrue(r.maxAbsErr() < 1e-5, r.line());
    }
}
