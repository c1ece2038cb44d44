package org.calico.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LlamaModelTest {
    static LlamaForCausalLM m;
    static final long[] PROMPT = {1, 17, 5, 33, 9, 60, 2, 41, 12, 7, 28};

    @BeforeAll static void setUp() { m = LlamaTestSupport.tinyModel(DType.F32, 7); }

    @AfterAll static void tearDown() { m.close(); }

    private static long[] concat(long[] a, List<Integer> b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.size());
        for (int i = 0; i < b.size(); i++) out[a.length + i] = b.get(i);
        return out;
    }

    @Test void cachedDecodingEqualsFullRecomputationTokenByToken() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); KvCache cache = m.newCache(1, 32)) {
            LlamaOutput pre = m.forward(LlamaInputs.ids(LlamaTestSupport.ids(PROMPT)).cache(cache));
            assertArrayEquals(new long[] {1, PROMPT.length, 64}, T.shape(pre.logits()));
            List<Integer> gen = new ArrayList<>();
            Tensor stepLogits = pre.logits().narrow(1, PROMPT.length - 1, 1);
            for (int step = 0; step < 8; step++) {
                long[] seq = concat(PROMPT, gen);
                Tensor full = m.logits(LlamaTestSupport.ids(seq));            // uncached, all positions
                Tensor fullLast = full.narrow(1, seq.length - 1, 1);
                assertTrue(T.maxAbsDiff(stepLogits, fullLast) < 1e-5, "step " + step + ": cached vs full " + T.maxAbsDiff(stepLogits, fullLast));
                int tok = TokenSampler.argmax(T.toFloats(fullLast));
                assertEquals(tok, TokenSampler.argmax(T.toFloats(stepLogits)), "argmax differs at step " + step);
                gen.add(tok);
                LlamaOutput o = m.forward(LlamaInputs.ids(LlamaTestSupport.ids(tok)).cache(cache).logits(LlamaInputs.Logits.LAST));
                assertEquals(seq.length + 0L, T.toLongs(o.positions())[0], "decode position = n + t");
                stepLogits = o.logits();
            }
            assertEquals(PROMPT.length + 8, cache.length());
        }
    }

    @Test void greedyGenerationMatchesArgmaxOfFullRecomputation() {
        GenerationResult r = new LlamaGenerator(m).generate(PROMPT, null, GenerationConfig.greedy(10).withAllHidden());
        assertEquals(10, r.length());
        assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, r.stopReason());
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            List<Integer> gen = new ArrayList<>();
            for (int j = 0; j < r.length(); j++) {
                long[] seq = concat(PROMPT, gen);
                LlamaOutput full = m.forward(LlamaInputs.ids(LlamaTestSupport.ids(seq)));
                int want = TokenSampler.argmax(T.toFloats(full.logits().narrow(1, seq.length - 1, 1)));
                assertEquals(want, r.token(j), "token " + j);
                // the captured state is the final-norm hidden of the position that predicted token j
                float[] h = T.toFloats(full.lastHidden().narrow(1, seq.length - 1, 1));
                float[] got = r.hiddenBefore(j);
                assertEquals(h.length, got.length);
                for (int i = 0; i < h.length; i++) assertEquals(h[i], got[i], 1e-5, "hidden " + j + "[" + i + "]");
                gen.add(want);
            }
        }
    }

    @Test void stopTokenEndsGenerationAndIsKept() {
        GenerationResult free = new LlamaGenerator(m).generate(PROMPT, null, GenerationConfig.greedy(6));
        int stop = free.token(2);
        GenerationResult r = new LlamaGenerator(m).generate(PROMPT, null, GenerationConfig.greedy(6, stop).withHiddenFor(stop));
        int firstStop = -1;
        for (int j = 0; j < free.length(); j++) if (free.token(j) == stop) { firstStop = j; break; }
        assertEquals(firstStop + 1, r.length());
        assertEquals(stop, r.token(firstStop));
        assertEquals(GenerationResult.StopReason.STOP_TOKEN, r.stopReason());
        assertNotNull(r.hiddenBefore(firstStop));
        if (firstStop > 0 && r.token(0) != stop) assertNull(r.hiddenBefore(0));
    }

    @Test void samplingIsReproducibleAndRespectsTopK() {
        GenerationConfig c = GenerationConfig.greedy(12).withSampling(1.3, 5, 0.9, 1234);
        LlamaGenerator gen = new LlamaGenerator(m);
        GenerationResult a = gen.generate(PROMPT, null, c), b = gen.generate(PROMPT, null, c);
        assertArrayEquals(a.tokens(), b.tokens());
        GenerationResult other = gen.generate(PROMPT, null, c.withSampling(1.3, 5, 0.9, 99));
        assertEquals(12, other.length());
        // top-k = 1 is greedy whatever the temperature
        GenerationResult k1 = gen.generate(PROMPT, null, c.withSampling(5.0, 1, 1.0, 3));
        assertArrayEquals(gen.generate(PROMPT, null, GenerationConfig.greedy(12)).tokens(), k1.tokens());
    }

    @Test void leftPaddedBatchEqualsSingleSequences() {
        long[] p2 = {1, 4, 9, 16, 25};
        LlamaGenerator gen = new LlamaGenerator(m);
        GenerationConfig c = GenerationConfig.greedy(6).withAllHidden();
        List<GenerationResult> batch = gen.generateBatch(List.of(LlamaGenerator.Prompt.ofIds(PROMPT), LlamaGenerator.Prompt.ofIds(p2)), pads -> {
            assertArrayEquals(new int[] {0, PROMPT.length - p2.length}, pads);
            return null;
        }, c);
        GenerationResult s1 = gen.generate(PROMPT, null, c), s2 = gen.generate(p2, null, c);
        assertArrayEquals(s1.tokens(), batch.get(0).tokens());
        assertArrayEquals(s2.tokens(), batch.get(1).tokens());
        assertEquals(p2.length, batch.get(1).promptLength());
        for (int j = 0; j < s2.length(); j++) {
            float[] a = s2.hiddenBefore(j), b = batch.get(1).hiddenBefore(j);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 2e-5, "padded row hidden " + j);
        }
    }

    @Test void inputsEmbedsPathEqualsIdsPath() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            LlamaOutput a = m.forward(LlamaInputs.ids(ids));
            LlamaOutput b = m.forward(LlamaInputs.embeds(m.embed(ids)));
            assertTrue(a.logits().equal(b.logits()));
        }
    }

    /** Manual forward through the public layer API, adding {@code delta} to the input of layer {@code at}. */
    private static Tensor manualLogits(long[] ids, int at, Tensor delta) {
        Tensor h = m.embed(LlamaTestSupport.ids(ids));
        Tensor[] cs = Rope.cosSin(T.arange(ids.length).unsqueeze(0), m.model.invFreq(), m.dtype());
        for (int i = 0; i < m.config.numLayers(); i++) {
            if (i == at) h = T.add(h, delta);
            h = m.model.layers.get(i).forward(h, cs[0], cs[1], null, true, null, i, 0);
        }
        return m.lmHead.forward(m.model.norm.forward(h));
    }

    @Test void hookAddingAKnownTensorMatchesManualComputation() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            T.seed(5);
            Tensor delta = T.randn(DType.F32, org.calico.tensor.Dev.CPU, 1, PROMPT.length, 64);
            AtomicInteger calls = new AtomicInteger();
            PrefillHook hook = PrefillHook.at(Set.of(2), (layer, h) -> {
                calls.incrementAndGet();
                assertEquals(2, layer);
                return T.add(h, delta);
            });
            Tensor want = manualLogits(PROMPT, 2, delta);
            Tensor plain = manualLogits(PROMPT, -1, null);
            try (KvCache cache = m.newCache(1, 20)) {
                LlamaOutput o = m.forward(LlamaInputs.ids(LlamaTestSupport.ids(PROMPT)).hook(hook).cache(cache));
                assertTrue(T.maxAbsDiff(o.logits(), want) < 1e-6, "hooked vs manual " + T.maxAbsDiff(o.logits(), want));
                assertTrue(T.maxAbsDiff(o.logits(), plain) > 1e-3, "the hook must change the logits");
                assertEquals(1, calls.get());
                // cached decode steps never call the hook
                m.forward(LlamaInputs.ids(LlamaTestSupport.ids(3)).hook(hook).cache(cache));
                m.forward(LlamaInputs.ids(LlamaTestSupport.ids(4)).hook(hook).cache(cache));
                assertEquals(1, calls.get());
            }
        }
    }

    @Test void identityHookLeavesLogitsBitIdentical() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            LlamaOutput plain = m.forward(LlamaInputs.ids(ids).allHidden(true));
            AtomicInteger calls = new AtomicInteger();
            LlamaOutput hooked = m.forward(LlamaInputs.ids(ids).allHidden(true).hook(PrefillHook.at(Set.of(0, 1, 3), (l, h) -> {
                calls.incrementAndGet();
                return h;
            })));
            assertEquals(3, calls.get());
            assertTrue(plain.logits().equal(hooked.logits()));
            assertTrue(plain.lastHidden().equal(hooked.lastHidden()));
        }
    }

    @Test void defaultHookLayersAreElevenAndTwentyTwo() {
        assertEquals(Set.of(11, 22), ((PrefillHook) (l, h) -> h).layers());
    }

    @Test void badInputsGiveClearErrors() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.forward(LlamaInputs.ids(LlamaTestSupport.ids(1, 64))));
            assertTrue(e.getMessage().contains("token id 64"), e.getMessage());
            var h = assertThrows(IllegalArgumentException.class, () -> m.forward(LlamaInputs.ids(LlamaTestSupport.ids(1, 2))
                    .hook(PrefillHook.at(Set.of(4), (l, x) -> x))));
            assertTrue(h.getMessage().contains("prefill hook layer 4"), h.getMessage());
            var w = assertThrows(IllegalStateException.class, () -> m.forward(LlamaInputs.ids(LlamaTestSupport.ids(1, 2))
                    .hook(PrefillHook.at(Set.of(1), (l, x) -> x.narrow(1, 0, 1)))));
            assertTrue(w.getMessage().contains("prefill hook at layer 1 returned [1, 1, 64]"), w.getMessage());
            try (KvCache c = m.newCache(1, 3)) {
                var cap = assertThrows(IllegalArgumentException.class, () -> m.forward(LlamaInputs.ids(LlamaTestSupport.ids(1, 2, 3, 4)).cache(c)));
                assertTrue(cap.getMessage().contains("capacity 3 exceeded"), cap.getMessage());
            }
            var mp = assertThrows(IllegalArgumentException.class, () -> m.newCache(1, 100000));
            assertTrue(mp.getMessage().contains("max_position_embeddings 512"), mp.getMessage());
            var emb = assertThrows(IllegalArgumentException.class, () -> m.forward(LlamaInputs.embeds(T.zeros(1, 3, 32))));
            assertTrue(emb.getMessage().contains("hidden_size 64"), emb.getMessage());
        }
    }

    @Test void bf16TracksF32AndCachesExactly() {
        try (LlamaForCausalLM bf = LlamaTestSupport.tinyModel(DType.F32, 7); PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            bf.to(org.calico.tensor.Dev.CPU, DType.BF16);
            assertEquals(DType.BF16, bf.dtype());
            Tensor ids = LlamaTestSupport.ids(PROMPT);
            Tensor ref = m.logits(ids);
            Tensor lo = bf.logits(ids);
            assertEquals(DType.BF16, T.dtype(lo));
            double err = T.maxAbsDiff(lo, ref), scale = T.item(ref.abs().max());
            assertTrue(err < 0.05 * scale, "bf16 vs f32 max abs err " + err + " (scale " + scale + ")");
            try (KvCache c = bf.newCache(1, PROMPT.length + 1)) {
                bf.forward(LlamaInputs.ids(ids).cache(c));
                Tensor step = bf.forward(LlamaInputs.ids(LlamaTestSupport.ids(5)).cache(c)).logits();
                long[] seq = java.util.Arrays.copyOf(PROMPT, PROMPT.length + 1);
                seq[PROMPT.length] = 5;
                Tensor full = bf.logits(LlamaTestSupport.ids(seq)).narrow(1, PROMPT.length, 1);
                double d = T.maxAbsDiff(step, full);
                assertTrue(d < 0.02 * scale, "bf16 cached vs full " + d);
            }
        }
    }
}
