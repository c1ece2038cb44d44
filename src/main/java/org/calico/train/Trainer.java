package org.calico.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.api.CoSegmenter;
import org.calico.data.DatasetDir;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.eval.EvalOptions;
import org.calico.eval.EvalResult;
import org.calico.eval.MixedPartsEvaluator;
import org.calico.eval.text.TextEncoder;
import org.calico.io.CheckpointException;
import org.calico.io.SafeTensors;
import org.calico.io.SafeTensorsFile;
import org.calico.io.StateDict;
import org.calico.io.TensorSource;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoModel;
import org.calico.model.ImageFeatures;
import org.calico.model.SamplePredictor;
import org.calico.nn.KeyMapping;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Trains a {@link CalicoModel} on MixedParts samples (paper appendix C.1): next-token CE on the answer tokens,
 * sigmoid focal (or BCE) and Dice on every [SEG] mask at the image's original resolution, AdamW with warm-up and
 * linear decay, gradient clipping, gradient accumulation over the samples of a step.
 *
 * <p>Trainable parameters: the paper's selection ({@link #PAPER_TRAINABLE}: LoRA on q/v, CEM, CAMs,
 * text_hidden_fcs, SAM mask decoder) or, with {@code fromScratch}, every weight (the tiny preset).
 *
 * <p>Determinism: the data order of epoch e is a shuffle seeded by (seed, e), and LibTorch's generator is re-seeded
 * with (seed, step) before every step, so a run resumed from a checkpoint (trainable weights + AdamW state + step)
 * continues bit for bit.
 */
public final class Trainer implements AutoCloseable {
    /** The paper's trainable set (spec §7): LoRA, CEM, CAMs, f_segmentation, SAM's mask decoder. */
    public static final Predicate<String> PAPER_TRAINABLE = k -> k.startsWith("lora.") || k.startsWith("cem.") || k.startsWith("cam.")
            || k.startsWith("text_hidden_fcs.") || k.startsWith("sam.mask_decoder.");

    public static final String STATE = "trainer_state.safetensors", STATE_JSON = "trainer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CalicoModel model;
    private final TrainConfig cfg;
    private final DatasetDir.Loaded train, val;
    private final SamplePredictor trainImages;
    private final PrintStream log;
    private final AdamW opt;
    private final LrSchedule schedule;
    private final Predicate<String> trainable;
    private long step;
    private final List<Map<String, Object>> history = new ArrayList<>();
    private final java.util.concurrent.ExecutorService pool;   // null: one worker (the calling thread)
    private final List<Param> gradParams;                         // the trainable parameters, in a fixed order

    public Trainer(CalicoModel model, TrainConfig cfg, DatasetDir.Loaded train, DatasetDir.Loaded val, PrintStream log) {
        if (train.samples().isEmpty()) throw new IllegalArgumentException("no training samples in " + train.file());
        this.model = model;
        this.cfg = cfg;
        this.train = train;
        this.val = val;
        this.log = log;
        this.trainable = cfg.fromScratch() ? k -> true : PAPER_TRAINABLE;
        model.setTrainable(trainable);
        if (model.lora != null) model.lora.train(true);
        this.opt = AdamW.paper(model.trainableParams());
        this.schedule = new LrSchedule(cfg.lr(), cfg.warmup(), cfg.steps(), 0, false);
        this.trainImages = new SamplePredictor(null, train.baseDir());
        this.gradParams = new ArrayList<>(model.trainableParams().values());
        int w = Math.min(cfg.workers(), cfg.batch());
        if (w > 1 && model.lora != null && model.config.lora().dropout() > 0)
            throw new IllegalArgumentException("workers = " + w + " needs a model without dropout (LoRA dropout is "
                    + model.config.lora().dropout() + "): the shared random generator would make the run depend on thread timing");
        this.pool = w > 1 ? java.util.concurrent.Executors.newFixedThreadPool(w, r -> {
            Thread t = new Thread(() -> {
                org.calico.runtime.CalicoRuntime.initThread(); // OpenMP thread count is per thread
                r.run();
            }, "calico-train-worker");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** One sample's gradients (kept past its scope; null where the sample does not reach a parameter) and loss terms. */
    private record SampleGrads(Tensor[] grads, double loss, double ce, double mask1, double dice) {}

    /**
     * The gradients of one step: each sample's loss/batch is differentiated with {@code torch::autograd::grad} (on
     * the calling thread, or on the worker threads when {@code workers > 1}) and added into {@code .grad} in sample
     * order, so any worker count gives the same bits. Returns the samples' loss terms (their gradients released).
     */
    private List<SampleGrads> stepGrads(long step) {
        List<SampleGrads> out = new ArrayList<>();
        if (pool == null) {
            for (int b = 0; b < cfg.batch(); b++) {
                SampleGrads g = sampleGrads(sampleAt(step * cfg.batch() + b));
                accumulate(g);
                out.add(g);
            }
            return out;
        }
        List<java.util.concurrent.Future<SampleGrads>> fs = new ArrayList<>();
        for (int b = 0; b < cfg.batch(); b++) {
            Sample s = sampleAt(step * cfg.batch() + b);
            fs.add(pool.submit(() -> sampleGrads(s)));
        }
        RuntimeException failure = null;
        for (var f : fs) {
            try {
                SampleGrads g = f.get();
                if (failure == null) accumulate(g);
                else release(g);
                out.add(g);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("training interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null)
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
        if (failure != null) throw failure;
        return out;
    }

    /** Adds one sample's gradients into the parameters' {@code .grad} and releases them. */
    private void accumulate(SampleGrads g) {
        try (PointerScope sc = new PointerScope()) {
            for (int i = 0; i < gradParams.size(); i++) {
                Tensor gi = g.grads()[i];
                if (gi == null) continue;
                Tensor p = gradParams.get(i).t();
                Tensor cur = p.grad();
                if (cur != null && cur.defined()) cur.add_(gi);
                else p.mutable_grad().put(gi); // the sample's own tensor: no copy needed
            }
        } finally {
            release(g);
        }
    }

    private SampleGrads sampleGrads(Sample s) {
        try (PointerScope scope = new PointerScope()) {
            LossTerms lt = sampleLoss(s);
            org.bytedeco.pytorch.TensorVector ins = new org.bytedeco.pytorch.TensorVector();
            for (Param p : gradParams) ins.push_back(p.t());
            org.bytedeco.pytorch.TensorVector g = torch.grad(new org.bytedeco.pytorch.TensorVector(lt.total().div(T.s(cfg.batch()))), ins,
                    new org.bytedeco.pytorch.TensorVector(), new org.bytedeco.pytorch.BoolOptional(false), false, true);
            Tensor[] keep = new Tensor[gradParams.size()];
            for (int i = 0; i < keep.length; i++) {
                Tensor gi = g.get(i);
                keep[i] = gi != null && gi.defined() ? T.handle(gi) : null;
            }
            return new SampleGrads(keep, lt.total().item_float(), lt.ce(), lt.mask1(), lt.dice());
        }
    }

    private static void release(SampleGrads g) {
        Tensor[] gs = g.grads();
        for (int i = 0; i < gs.length; i++) {
            if (gs[i] != null) T.release(gs[i]);
            gs[i] = null;
        }
    }

    public long step() { return step; }

    public List<Map<String, Object>> history() { return Collections.unmodifiableList(history); }

    /** Trainable parameter count and share of the whole model. */
    public String trainableSummary() {
        long tr = 0, all = 0;
        for (Param p : model.namedParams().values()) {
            if (p.isBuffer()) continue;
            all += p.numel();
            if (p.trainable()) tr += p.numel();
        }
        return String.format(Locale.ROOT, "trainable parameters: %,d of %,d (%.2f%%)", tr, all, 100.0 * tr / all);
    }

    /** The sample at global position {@code pos} of the deterministic order. */
    Sample sampleAt(long pos) {
        int n = train.samples().size();
        long epoch = pos / n;
        List<Integer> perm = new ArrayList<>();
        for (int i = 0; i < n; i++) perm.add(i);
        Collections.shuffle(perm, new Random(cfg.seed() * 1_000_003L + epoch));
        return train.samples().get(perm.get((int) (pos % n)));
    }

    /** One sample's loss terms (tensors with autograd). */
    public record LossTerms(Tensor total, double ce, double mask1, double dice, int masks) {}

    public LossTerms sampleLoss(Sample s) {
        List<ImageFeatures> feats = model.encodeImages(trainImages.images(s));
        CalicoModel.TrainingOutput out = model.trainingForward(feats, s.prompt(), s.answer());
        Tensor ce = Losses.causalLmCrossEntropy(out.logits(), out.labels());
        Tensor total = ce.mul(T.s(cfg.ceWeight()));
        List<Segment> gt = s.segments();
        int m = out.maskLogits().size();
        if (m != gt.size())
            throw new IllegalArgumentException("sample " + s.id() + ": the answer has " + m + " [SEG] but " + gt.size() + " ground-truth segments");
        double f = 0, d = 0;
        if (m > 0) {
            Tensor mSum = null, dSum = null;
            for (int i = 0; i < m; i++) {
                Tensor logit = out.maskLogits().get(i).unsqueeze(0);
                boolean[] mask = gt.get(i).mask().toRle().decode();
                float[] v = new float[mask.length];
                for (int p = 0; p < v.length; p++) v[p] = mask[p] ? 1f : 0f;
                Tensor target = T.to(T.fromFloats(v, 1, logit.size(1), logit.size(2)), model.device(), DType.F32);
                if (target.numel() != logit.numel())
                    throw new IllegalArgumentException("sample " + s.id() + " segment " + i + ": mask size differs from the image");
                Tensor a = cfg.bce() ? Losses.sigmoidBce(logit, target) : Losses.sigmoidFocal(logit, target);
                Tensor b = Losses.dice(logit, target);
                mSum = mSum == null ? a : mSum.add(a);
                dSum = dSum == null ? b : dSum.add(b);
            }
            mSum = mSum.div(T.s(m));
            dSum = dSum.div(T.s(m));
            f = mSum.item_float();
            d = dSum.item_float();
            total = total.add(mSum.mul(T.s(cfg.focalWeight()))).add(dSum.mul(T.s(cfg.diceWeight())));
        }
        return new LossTerms(total, ce.item_float(), f, d, m);
    }

    /** Trains until {@code cfg.steps()} or the time budget; checkpoints to {@code out} (null = never). */
    public void run(Path out) {
        log.println(trainableSummary());
        runUntil(cfg.steps(), out);
        if (out != null) save(out);
    }

    /**
     * Trains until step {@code stopAt} (at most {@code cfg.steps()}; the schedule always spans {@code cfg.steps()}, so a
     * run split into parts is the same run) or the time budget; periodic checkpoints go to {@code out}.
     */
    public void runUntil(long stopAt, Path out) {
        long t0 = System.nanoTime();
        long startStep = step;
        double emaLoss = Double.NaN;
        while (step < Math.min(stopAt, cfg.steps())) {
            double lr = schedule.at(step);
            torch.manual_seed(cfg.seed() * 7919L + step);
            double lossSum = 0, ceSum = 0, mSum = 0, dSum = 0;
            for (SampleGrads g : stepGrads(step)) {
                lossSum += g.loss();
                ceSum += g.ce();
                mSum += g.mask1();
                dSum += g.dice();
            }
            double gnorm = cfg.clip() > 0 ? GradClip.clip(model.trainableParams().values(), cfg.clip()) : Double.NaN;
            opt.step(lr);
            opt.zeroGrad();
            step++;
            double loss = lossSum / cfg.batch();
            emaLoss = Double.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
            double secs = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("step", step);
            h.put("loss", loss);
            h.put("ce", ceSum / cfg.batch());
            h.put(cfg.bce() ? "bce" : "focal", mSum / cfg.batch());
            h.put("dice", dSum / cfg.batch());
            h.put("grad_norm", gnorm);
            h.put("lr", lr);
            h.put("seconds", secs);
            history.add(h);
            if (step % 10 == 0 || step == cfg.steps()) {
                double eta = secs / (step - startStep) * (cfg.steps() - step);
                log.printf(Locale.ROOT, "step %d/%d  loss %.4f (avg %.4f)  ce %.4f  %s %.4f  dice %.4f  |g| %.2f  lr %.2e  %s elapsed, ETA %s%n",
                        step, cfg.steps(), loss, emaLoss, ceSum / cfg.batch(), cfg.bce() ? "bce" : "focal", mSum / cfg.batch(),
                        dSum / cfg.batch(), gnorm, lr, hms(secs), hms(eta));
                log.flush();
            }
            if (cfg.validateEvery() > 0 && step % cfg.validateEvery() == 0 && step < cfg.steps() && val != null) validate(cfg.validateSamples());
            if (out != null && cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0) save(out);
            if (cfg.maxMinutes() > 0 && secs > cfg.maxMinutes() * 60) {
                log.printf(Locale.ROOT, "time budget of %.1f min spent at step %d%n", cfg.maxMinutes(), step);
                break;
            }
        }
    }

    static String hms(double s) {
        long t = Math.round(s);
        return String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
    }

    /** Evaluates the current weights on up to {@code n} validation samples (mIoU and S-IoU among the metrics). */
    public EvalResult validate(int n) {
        if (val == null) throw new IllegalStateException("no validation data");
        List<Sample> vs = val.samples().subList(0, Math.min(n, val.samples().size()));
        EvalResult r = evaluate(model, val.baseDir(), vs, null);
        log.printf(Locale.ROOT, "validation @%d (%d samples): mIoU %.1f  AP50 %.1f  Recall %.1f  SS %.1f  S-IoU %.1f%n", step, vs.size(),
                r.overall().miou(), r.overall().ap50(), r.overall().recall(), r.overall().semanticSimilarity(), r.overall().semanticIou());
        log.flush();
        return r;
    }

    /** Predicts and evaluates {@code samples} with the model as it is (no cache reuse across calls). */
    public static EvalResult evaluate(CalicoModel model, Path baseDir, List<Sample> samples, TextEncoder text) {
        boolean wasTraining = model.lora != null && model.lora.training();
        if (model.lora != null) model.lora.train(false);
        try (CoSegmenter seg = CoSegmenter.builder().model(model).build()) {
            SamplePredictor p = new SamplePredictor(seg, baseDir);
            List<Prediction> preds = new ArrayList<>();
            for (int i = 0; i < samples.size(); i += 8) preds.addAll(p.predict(samples.subList(i, Math.min(samples.size(), i + 8))));
            TextEncoder enc = text != null ? text : org.calico.eval.text.MiniLmEncoder.shared();
            return new MixedPartsEvaluator(EvalOptions.defaults(), enc).evaluate(samples, preds, null, "evaluated samples");
        } finally {
            if (model.lora != null) model.lora.train(wasTraining);
        }
    }

    // ------------------------------------------------------------------ checkpoints

    /** Writes the trainable weights (all weights when training from scratch), the config and the optimizer state. */
    public void save(Path dir) {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("trained_steps", Long.toString(step));
        extra.put("weights", cfg.fromScratch() ? "all" : "trainable");
        CalicoCheckpoint.save(model, dir, cfg.fromScratch() ? k -> true : trainable, extra);
        try (PointerScope s = new PointerScope()) {
            Map<String, Tensor> st = new LinkedHashMap<>(opt.state());
            SafeTensors.write(dir.resolve(STATE), st, Map.of("step", Long.toString(step)));
        }
        ObjectNode j = JSON.createObjectNode();
        j.put("step", step);
        j.put("seed", cfg.seed());
        j.put("steps", cfg.steps());
        j.put("batch", cfg.batch());
        j.put("from_scratch", cfg.fromScratch());
        try {
            Files.writeString(dir.resolve(STATE_JSON), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j));
        } catch (IOException e) {
            throw new CheckpointException("cannot write " + dir.resolve(STATE_JSON) + ": " + e.getMessage(), e);
        }
        log.println("checkpoint: " + dir.toAbsolutePath() + " (step " + step + ")");
    }

    /** Restores weights, optimizer state and step from a directory written by {@link #save}. */
    public void resume(Path dir) {
        JsonNode j;
        try {
            j = JSON.readTree(Files.readString(dir.resolve(STATE_JSON)));
        } catch (IOException e) {
            throw new CheckpointException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
        if (j.path("seed").asLong() != cfg.seed() || j.path("batch").asInt() != cfg.batch())
            throw new CheckpointException(dir + " was trained with seed " + j.path("seed").asLong() + " / batch " + j.path("batch").asInt()
                    + "; resuming with seed " + cfg.seed() + " / batch " + cfg.batch() + " would not continue the same run");
        try (TensorSource src = SafeTensors.open(dir.resolve(CalicoCheckpoint.WEIGHTS))) {
            // only the trainable weights are in a partial checkpoint: everything else keeps its current values
            KeyMapping m = KeyMapping.builder("resume").optional(".*").build();
            var report = model.load(src, m, false);
            if (!report.defaulted().isEmpty() && cfg.fromScratch())
                throw new CheckpointException(dir + " lacks " + report.defaulted().size() + " weights of a from-scratch run, e.g. " + report.defaulted().get(0));
        }
        try (PointerScope s = new PointerScope(); SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(STATE)); StateDict sd = StateDict.copyOf(f)) {
            opt.loadState(sd.asMap());
        }
        step = j.path("step").asLong();
        log.println("resumed from " + dir + " at step " + step);
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
        opt.close();
    }
}
