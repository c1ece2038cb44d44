package org.calico.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Autoregressive generation with a {@link KvCache}: one prefill pass over the (left-padded) prompts, with the
 * {@link PrefillHook} (CALICO's CAMs), then one cached single-token step per new token (no hook). Greedy or sampled
 * per {@link GenerationConfig}; returns immutable {@link GenerationResult}s holding the tokens and the captured
 * final-norm hidden states. Runs under {@code NoGradGuard} with one PointerScope per step; thread-safe as far as the
 * model is (each call owns its cache).
 */
public final class LlamaGenerator {
    private final LlamaForCausalLM model;

    public LlamaGenerator(LlamaForCausalLM model) { this.model = model; }

    /** A prompt: token ids, or input embeddings [L, D] / [1, L, D] (e.g. with image tokens spliced in). */
    public record Prompt(long[] ids, Tensor embeds) {
        public static Prompt ofIds(long... ids) {
            if (ids.length == 0) throw new IllegalArgumentException("empty prompt");
            return new Prompt(ids.clone(), null);
        }

        public static Prompt ofEmbeds(Tensor embeds) {
            if (embeds == null || (embeds.dim() != 2 && !(embeds.dim() == 3 && embeds.size(0) == 1)))
                throw new IllegalArgumentException("prompt embeddings must be [L, D] or [1, L, D], got " + (embeds == null ? "null" : T.shapeString(embeds)));
            if (embeds.size(-2) == 0) throw new IllegalArgumentException("empty prompt");
            return new Prompt(null, embeds);
        }

        int length() { return ids != null ? ids.length : (int) embeds.size(-2); }
    }

    /** Generates from one token-id prompt. */
    public GenerationResult generate(long[] promptIds, PrefillHook hook, GenerationConfig cfg) {
        return generateBatch(List.of(Prompt.ofIds(promptIds)), pads -> hook, cfg).get(0);
    }

    /** Generates from one embedding prompt [L, D] or [1, L, D]. */
    public GenerationResult generate(Tensor promptEmbeds, PrefillHook hook, GenerationConfig cfg) {
        return generateBatch(List.of(Prompt.ofEmbeds(promptEmbeds)), pads -> hook, cfg).get(0);
    }

    /**
     * Generates for several prompts at once. Prompts are left-padded to the longest; {@code hookFactory} receives the
     * left-padding of every row (add it to positions from a {@code PromptLayout}) and returns the prefill hook, or
     * null for none. Row r samples with seed {@code cfg.seed() + r}.
     */
    public List<GenerationResult> generateBatch(List<Prompt> prompts, Function<int[], PrefillHook> hookFactory, GenerationConfig cfg) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        int b = prompts.size();
        int[] lens = new int[b], pads = new int[b];
        int lmax = 0;
        for (int r = 0; r < b; r++) {
            lens[r] = prompts.get(r).length();
            lmax = Math.max(lmax, lens[r]);
        }
        for (int r = 0; r < b; r++) pads[r] = lmax - lens[r];
        int capacity = lmax + cfg.maxNewTokens();
        if (capacity > model.config.maxPositionEmbeddings())
            throw new IllegalArgumentException("prompt length " + lmax + " + maxNewTokens " + cfg.maxNewTokens()
                    + " exceeds max_position_embeddings " + model.config.maxPositionEmbeddings());
        int d = model.config.hiddenSize();
        List<List<Integer>> toks = new ArrayList<>();
        List<List<float[]>> hid = new ArrayList<>();
        TokenSampler[] samplers = new TokenSampler[b];
        boolean[] done = new boolean[b];
        GenerationResult.StopReason[] reason = new GenerationResult.StopReason[b];
        for (int r = 0; r < b; r++) {
            toks.add(new ArrayList<>());
            hid.add(new ArrayList<>());
            samplers[r] = new TokenSampler(cfg.seed() + r);
        }
        int fill = model.config.padId() >= 0 ? model.config.padId() : model.config.eosId();
        try (NoGradGuard g = new NoGradGuard(); KvCache cache = model.newCache(b, capacity)) {
            float[][] logits = new float[b][];
            float[][] last = new float[b][];
            try (PointerScope s = new PointerScope()) {
                List<Tensor> rows = new ArrayList<>();
                long[] mask = new long[b * lmax];
                for (int r = 0; r < b; r++) {
                    Prompt p = prompts.get(r);
                    Tensor e;
                    if (p.ids() != null) e = model.embed(T.fromLongs(p.ids(), 1, p.ids().length)).squeeze(0);
                    else e = T.to(p.embeds().dim() == 3 ? p.embeds().squeeze(0) : p.embeds(), model.device(), model.dtype());
                    if (e.size(1) != d) throw new IllegalArgumentException("prompt " + r + " embeddings have width " + e.size(1) + ", model hidden size is " + d);
                    if (pads[r] > 0) e = T.cat(0, T.zeros(model.dtype(), model.device(), pads[r], d), e);
                    rows.add(e);
                    for (int j = pads[r]; j < lmax; j++) mask[r * lmax + j] = 1;
                }
                LlamaInputs in = LlamaInputs.embeds(T.stack(0, rows)).cache(cache).logits(LlamaInputs.Logits.LAST)
                        .attentionMask(T.fromLongs(mask, b, lmax));
                PrefillHook hook = hookFactory == null ? null : hookFactory.apply(pads.clone());
                if (hook != null) in.hook(hook);
                LlamaOutput o = model.forward(in);
                unpack(o, logits, last, b, cfg);
            }
            for (int step = 0; step < cfg.maxNewTokens(); step++) {
                long[] next = new long[b];
                for (int r = 0; r < b; r++) {
                    if (done[r]) {
                        next[r] = fill;
                        continue;
                    }
                    int t = samplers[r].choose(logits[r], cfg);
                    toks.get(r).add(t);
                    boolean keep = cfg.captureHidden() == GenerationConfig.Capture.ALL
                            || (cfg.captureHidden() == GenerationConfig.Capture.TOKENS && cfg.captureTokenIds().contains(t));
                    hid.get(r).add(keep ? last[r] : null);
                    next[r] = t;
                    if (cfg.stopTokenIds().contains(t)) {
                        done[r] = true;
                        reason[r] = GenerationResult.StopReason.STOP_TOKEN;
                    } else if (toks.get(r).size() == cfg.maxNewTokens()) {
                        done[r] = true;
                        reason[r] = GenerationResult.StopReason.MAX_NEW_TOKENS;
                    }
                }
                boolean all = true;
                for (boolean x : done) all &= x;
                if (all) break;
                try (PointerScope s = new PointerScope()) {
                    LlamaOutput o = model.forward(LlamaInputs.ids(T.fromLongs(next, b, 1)).cache(cache).logits(LlamaInputs.Logits.LAST));
                    unpack(o, logits, last, b, cfg);
                }
            }
        }
        List<GenerationResult> out = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            int[] t = toks.get(r).stream().mapToInt(Integer::intValue).toArray();
            out.add(new GenerationResult(lens[r], t, reason[r], hid.get(r).toArray(new float[0][])));
        }
        return out;
    }

    private static void unpack(LlamaOutput o, float[][] logits, float[][] last, int b, GenerationConfig cfg) {
        Tensor lg = T.to(o.logits(), DType.F32); // [B, 1, V]
        float[] all = T.toFloats(lg);
        int v = (int) lg.size(2);
        for (int r = 0; r < b; r++) logits[r] = java.util.Arrays.copyOfRange(all, r * v, (r + 1) * v);
        if (cfg.captureHidden() != GenerationConfig.Capture.NONE) {
            Tensor h = o.lastHidden();
            Tensor lastPos = h.narrow(1, h.size(1) - 1, 1); // [B, 1, D]
            float[] hv = T.toFloats(lastPos);
            int d = (int) h.size(2);
            for (int r = 0; r < b; r++) last[r] = java.util.Arrays.copyOfRange(hv, r * d, (r + 1) * d);
        }
    }
}
