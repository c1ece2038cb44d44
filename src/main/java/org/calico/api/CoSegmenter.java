package org.calico.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.image.RgbImage;
import org.calico.llm.GenerationConfig;
import org.calico.llm.GenerationResult;
import org.calico.llm.LlamaGenerator;
import org.calico.mask.Rle;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoModel;
import org.calico.model.FeatureCache;
import org.calico.model.ImageFeatures;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.GroundedAnswer;
import org.calico.text.GroundedAnswerParser;
import org.calico.text.PromptLayout;

/**
 * The service-facing API: load a CALICO model once, then segment any number of image sets concurrently.
 * <pre>{@code
 * try (CoSegmenter seg = CoSegmenter.builder().model("tiny").build()) {
 *     CoSegmentation r = seg.segment(List.of(RgbImage.read(a), RgbImage.read(b)), Task.COMMON_PARTS);
 *     for (Group g : r.groups()) ... r.membersOf(g) ...
 * }
 * }</pre>
 * Thread-safe: requests run in parallel on the calling threads (each in its own PointerScope and NoGradGuard).
 * Image features (EVA, DINOv2 + CEM, SAM) are cached by image content, so an image shared by several pairs is encoded
 * once. {@link #segmentAll} batches the language model over several requests. Results are immutable Java objects.
 */
public final class CoSegmenter implements AutoCloseable {
    private final CalicoModel model;
    private final boolean ownsModel;
    private final FeatureCache cache;
    private final int maxNewTokens;
    private final LlamaGenerator generator;
    private final GroundedAnswerParser parser;

    private CoSegmenter(CalicoModel model, boolean ownsModel, int cacheCapacity, int maxNewTokens) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.cache = new FeatureCache(cacheCapacity);
        this.maxNewTokens = maxNewTokens;
        this.generator = new LlamaGenerator(model.llm);
        this.parser = new GroundedAnswerParser(model.tokenizer());
    }

    public static Builder builder() { return new Builder(); }

    public CalicoModel model() { return model; }

    public FeatureCache cache() { return cache; }

    public CoSegmentation segment(List<RgbImage> images, Task task) { return segmentAll(List.of(Request.of(task, images))).get(0); }

    public CoSegmentation segment(List<RgbImage> images, String instruction) { return segmentAll(List.of(Request.of(instruction, images))).get(0); }

    /** Runs several requests with one batched language-model generation; results in request order. */
    public List<CoSegmentation> segmentAll(List<Request> requests) {
        if (requests.isEmpty()) return List.of();
        List<List<FeatureCache.Lease>> leases = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            List<List<ImageFeatures>> feats = new ArrayList<>();
            List<PromptLayout> layouts = new ArrayList<>();
            List<LlamaGenerator.Prompt> prompts = new ArrayList<>();
            List<String> instructions = new ArrayList<>();
            for (Request r : requests) {
                List<FeatureCache.Lease> l = cache.get(r.images(), model::encodeImages);
                leases.add(l);
                List<ImageFeatures> f = new ArrayList<>();
                for (FeatureCache.Lease x : l) f.add(x.features());
                feats.add(f);
                PromptLayout layout = r.task() != null ? model.prompts().inference(r.task(), r.images().size())
                        : model.prompts().inference(r.instruction(), r.images().size());
                layouts.add(layout);
                prompts.add(LlamaGenerator.Prompt.ofEmbeds(model.inputEmbeddings(layout, f)));
                instructions.add(r.task() != null ? model.prompts().message(r.task(), r.images().size())
                        : model.prompts().message(r.instruction(), r.images().size()));
            }
            GenerationConfig gc = GenerationConfig.greedy(maxNewTokens, model.tokenizer().eosId()).withHiddenFor(model.segTokenId());
            List<GenerationResult> gens = generator.generateBatch(prompts, pads -> model.camHook(layouts, pads, feats), gc);
            List<CoSegmentation> out = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) out.add(finish(requests.get(i), instructions.get(i), gens.get(i), feats.get(i)));
            return out;
        } finally {
            for (List<FeatureCache.Lease> l : leases) l.forEach(FeatureCache.Lease::close);
        }
    }

    private CoSegmentation finish(Request r, String instruction, GenerationResult gen, List<ImageFeatures> feats) {
        int n = r.images().size();
        int[] toks = gen.tokens();
        int len = toks.length;
        if (len > 0 && toks[len - 1] == model.tokenizer().eosId()) len--;
        int[] answerIds = java.util.Arrays.copyOf(toks, len);
        GroundedAnswer ans = parser.parse(answerIds, n, gen.promptLength());
        List<String> problems = new ArrayList<>();
        for (GroundedAnswer.Problem p : ans.problems()) problems.add(p.kind() + ": " + p.message());
        if (gen.stopReason() == GenerationResult.StopReason.MAX_NEW_TOKENS)
            problems.add("MAX_NEW_TOKENS: the answer was cut at " + maxNewTokens + " tokens");
        List<GroundedAnswer.Grounding> gs = ans.groundings();
        List<Grouping.Phrase> phrases = new ArrayList<>();
        for (GroundedAnswer.Grounding g : gs) phrases.add(new Grouping.Phrase(g.phrase(), g.imageIndex()));
        Grouping.Result grouping = Grouping.group(r.task(), phrases);
        List<Segment> segs = new ArrayList<>();
        if (!gs.isEmpty()) {
            int d = model.config.llm().hiddenSize();
            float[] all = new float[gs.size() * d];
            int[] imgs = new int[gs.size()];
            for (int i = 0; i < gs.size(); i++) {
                float[] h = gen.hiddenBefore(gs.get(i).segTokenIndex());
                System.arraycopy(h, 0, all, i * d, d);
                imgs[i] = gs.get(i).imageIndex();
            }
            CalicoModel.MaskLogits ml = model.decodeMasks(T.fromFloats(all, gs.size(), d), imgs, feats);
            for (int i = 0; i < gs.size(); i++) {
                Tensor logit = ml.logits().get(i);
                int h = (int) logit.size(0), w = (int) logit.size(1);
                float[] v = T.toFloats(logit);
                boolean[] mask = new boolean[v.length];
                double conf = 0;
                int fg = 0;
                for (int p = 0; p < v.length; p++) {
                    if (v[p] > 0) {
                        mask[p] = true;
                        conf += 1 / (1 + Math.exp(-v[p]));
                        fg++;
                    }
                }
                segs.add(new Segment(gs.get(i).phrase(), imgs[i], Rle.encode(mask, h, w), fg == 0 ? 0 : conf / fg, grouping.groupOf()[i]));
            }
        }
        String text = model.tokenizer().decode(answerIds, true).strip();
        return new CoSegmentation(instruction, text, n, segs, grouping.groups(), problems);
    }

    @Override public void close() {
        cache.close();
        if (ownsModel) model.close();
    }

    /** Builds a {@link CoSegmenter}. */
    public static final class Builder {
        private String model = "tiny";
        private CalicoModel instance;
        private DType dtype = DType.F32;
        private Dev device = Dev.CPU;
        private int cacheCapacity = 256;
        private Integer maxNewTokens;
        private Integer threads;

        /** "tiny" (embedded default) or a CALICO checkpoint directory ({@code calico.json} + {@code model.safetensors}). */
        public Builder model(String dirOrTiny) {
            this.model = Objects.requireNonNull(dirOrTiny);
            return this;
        }

        /** Use an already loaded model (not closed by the CoSegmenter). */
        public Builder model(CalicoModel m) {
            this.instance = Objects.requireNonNull(m);
            return this;
        }

        public Builder dtype(DType d) {
            this.dtype = Objects.requireNonNull(d);
            return this;
        }

        public Builder device(Dev d) {
            this.device = Objects.requireNonNull(d);
            return this;
        }

        /** Images whose features stay cached (LRU). */
        public Builder cacheCapacity(int n) {
            this.cacheCapacity = n;
            return this;
        }

        public Builder maxNewTokens(int n) {
            if (n < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1");
            this.maxNewTokens = n;
            return this;
        }

        /** LibTorch / OpenBLAS threads for the whole process. */
        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        public CoSegmenter build() {
            CalicoRuntime.init();
            if (threads != null) CalicoRuntime.setThreads(threads);
            CalicoModel m = instance != null ? instance : CalicoCheckpoint.load(model, dtype, device);
            return new CoSegmenter(m, instance == null, cacheCapacity, maxNewTokens != null ? maxNewTokens : m.config.maxNewTokens());
        }
    }
}
