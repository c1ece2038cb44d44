package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.GroundedAnswer;
import org.calico.text.GroundedAnswerParser;
import org.calico.text.PromptBuilder;
import org.calico.text.PromptLayout;
import org.calico.text.Task;
import org.calico.text.WordTokenizer;
import org.junit.jupiter.api.Test;

/** The language-side path of CALICO end to end on a tiny random model: prompt -> splice -> CAM-style hook -> generate -> parse. */
class MultiImagePromptTest {
    @Test void spliceHookGenerateParse() {
        WordTokenizer tok = WordTokenizer.tinyDefault();
        PromptLayout layout = PromptBuilder.calico(tok).withTokensPerImage(4).inference(Task.COMMON_PARTS, 2);
        try (LlamaForCausalLM m = new LlamaForCausalLM(LlamaConfig.tiny(tok.vocabSize()), DType.F32, Dev.CPU);
             PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            m.initRandom(21);
            T.seed(3);
            Tensor img1 = T.randn(DType.F32, Dev.CPU, 4, 64), img2 = T.randn(DType.F32, Dev.CPU, 4, 64);
            Tensor emb = ImageSplicer.splice(m, layout, List.of(img1, img2));
            assertEquals("[1, " + layout.length() + ", 64]", T.shapeString(emb));
            PromptLayout.Span s1 = layout.imageSpans().get(1);
            assertTrue(emb.squeeze(0).narrow(0, s1.start(), 4).equal(img2));
            long[] ids = layout.idsForEmbedding(0);
            assertTrue(emb.squeeze(0).narrow(0, 0, 1).equal(m.embed(T.fromLongs(new long[] {ids[0]}, 1, 1)).squeeze(0)));

            // a CAM-like hook: reads the last instruction token's state and adds a function of it to the image spans only
            int last = layout.lastInstructionIndex();
            PrefillHook cam = PrefillHook.at(Set.of(1, 3), (layer, h) -> {
                Tensor t = h.narrow(1, last, 1);                        // [1, 1, D]
                Tensor add = T.zeros(DType.F32, Dev.CPU, T.shape(h));
                for (PromptLayout.Span sp : layout.imageSpans()) add.narrow(1, sp.start(), sp.length()).copy_(T.mul(t, 0.1).expand(1, sp.length(), 64));
                return T.add(h, add);
            });
            LlamaOutput plain = m.forward(LlamaInputs.embeds(emb));
            LlamaOutput hooked = m.forward(LlamaInputs.embeds(emb).hook(cam));
            int firstImage = layout.imageSpans().get(0).start();
            // causal: positions before the first image are untouched, later ones change
            assertTrue(plain.logits().narrow(1, 0, firstImage).equal(hooked.logits().narrow(1, 0, firstImage)));
            assertTrue(T.maxAbsDiff(plain.logits().narrow(1, last, 1), hooked.logits().narrow(1, last, 1)) > 1e-4);

            GenerationResult r = new LlamaGenerator(m).generate(emb, cam, GenerationConfig.greedy(12, tok.eosId()).withHiddenFor(tok.idOf("[SEG]")));
            assertEquals(layout.length(), r.promptLength());
            GroundedAnswer a = new GroundedAnswerParser(tok).parse(r.tokens(), 2, r.promptLength());
            assertTrue(a.groundings().size() + a.problems().size() > 0, "a random model's answer is parsed without throwing");
            for (GroundedAnswer.Grounding gr : a.groundings()) assertTrue(r.hiddenBefore(gr.segTokenIndex()) != null);

            var e = assertThrows(IllegalArgumentException.class, () -> ImageSplicer.splice(m, layout, List.of(img1)));
            assertTrue(e.getMessage().contains("2 images but 1"));
            var f = assertThrows(IllegalArgumentException.class, () -> ImageSplicer.splice(m, layout, List.of(img1, T.zeros(5, 64))));
            assertTrue(f.getMessage().contains("image 2 tokens have shape [5, 64], expected [4, 64]"), f.getMessage());
        }
    }
}
