package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.calico.data.DatasetDir;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoConfig;
import org.calico.model.CalicoModel;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.train.TrainConfig;
import org.calico.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train CALICO on a MixedParts-format dataset (paper appendix C.1: CE + 2 focal + 0.5 Dice, AdamW 3e-4, "
                + "betas 0.9/0.95, clip 1.0). Prints the trainable share, a progress line with loss and ETA, validations, "
                + "and writes a checkpoint directory (calico.json, model.safetensors, optimizer state) that ./calico segment "
                + "--model and --resume read.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "calico-tiny", description = "calico-tiny (default) or calico-7b")
    String preset;

    @Option(names = "--init", description = "start from this CALICO checkpoint directory (or 'tiny') instead of random weights")
    String init;

    @Option(names = "--data", required = true, description = "dataset directory (with train.jsonl) or a .jsonl file")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "training split (default train)")
    String split;

    @Option(names = "--val-split", defaultValue = "val", description = "validation split, if present (default val)")
    String valSplit;

    @Option(names = "--out", required = true, description = "checkpoint directory")
    Path out;

    @Option(names = "--steps", defaultValue = "1000") int steps;
    @Option(names = "--batch", defaultValue = "4", description = "samples per optimizer step (gradient accumulation)") int batch;
    @Option(names = "--lr", defaultValue = "3e-4") double lr;
    @Option(names = "--warmup", defaultValue = "-1", description = "warm-up steps (default min(100, steps/10))") int warmup;
    @Option(names = "--clip", defaultValue = "1.0") double clip;
    @Option(names = "--ce", defaultValue = "1.0", description = "lambda_text") double ce;
    @Option(names = "--focal", defaultValue = "2.0", description = "lambda_focal (or BCE weight with --bce)") double focal;
    @Option(names = "--dice", defaultValue = "0.5", description = "lambda_Dice") double dice;
    @Option(names = "--bce", description = "GLaMM-style per-pixel BCE instead of the sigmoid focal loss") boolean bce;
    @Option(names = "--from-scratch", description = "train every weight (default for calico-tiny)") Boolean fromScratch;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--no-cem", description = "ablation: without the CEM") boolean noCem;
    @Option(names = "--cam-layers", split = ",", description = "ablation: CAMs before these decoder layers (e.g. 2,3); 'none' for no CAM")
    String[] camLayers;
    @Option(names = "--validate-every", defaultValue = "0") int validateEvery;
    @Option(names = "--validate-samples", defaultValue = "60") int validateSamples;
    @Option(names = "--checkpoint-every", defaultValue = "0") int checkpointEvery;
    @Option(names = "--minutes", defaultValue = "0", description = "wall-clock budget in minutes (0 = none)") double minutes;
    @Option(names = "--resume", description = "continue the run saved in this directory") Path resume;
    @Option(names = "--dtype", defaultValue = "f32") String dtype;
    @Option(names = "--workers", defaultValue = "1", description = "threads computing a step's samples in parallel (data parallel, "
            + "bit-identical to 1 worker; at most --batch are used; each runs LibTorch single-threaded, so use it with --threads 1)")
    int workers;
    @Option(names = "--threads", description = "LibTorch/OpenBLAS threads (default: 1 for calico-tiny, whose ops are too small to "
            + "gain from a second thread; all cores otherwise)") Integer threads;

    @Override public Integer call() {
        CalicoRuntime.init();
        if (threads != null) CalicoRuntime.setThreads(threads);
        else if (init == null ? preset.contains("tiny") : init.contains("tiny")) CalicoRuntime.setThreads(1);
        DatasetDir.Loaded tr = DatasetDir.load(data, split);
        DatasetDir.Loaded va = Files.isDirectory(data) && Files.isRegularFile(data.resolve(valSplit + ".jsonl")) ? DatasetDir.load(data, valSplit) : null;
        CalicoModel model;
        if (init != null) {
            model = CalicoCheckpoint.load(init, DType.parse(dtype), Dev.CPU);
        } else {
            CalicoConfig cfg = CalicoConfig.preset(preset);
            if (noCem) cfg = cfg.withoutCem();
            if (camLayers != null) cfg = cfg.withCamLayers(parseLayers(camLayers));
            model = new CalicoModel(cfg, CalicoCheckpoint.tokenizer(cfg.tokenizer(), null), DType.parse(dtype), Dev.CPU);
            model.initRandom(seed);
        }
        boolean scratch = fromScratch != null ? fromScratch : model.config.name().startsWith("calico-tiny");
        TrainConfig tc = new TrainConfig(steps, batch, lr, warmup >= 0 ? warmup : Math.min(100, steps / 10), clip, ce, focal, dice, bce,
                scratch, seed, validateEvery, validateSamples, checkpointEvery, minutes, workers);
        System.out.println("model: " + model.config);
        System.out.println("data:  " + tr.samples().size() + " training samples from " + tr.file() + (va != null ? ", " + va.samples().size() + " validation" : ""));
        try (model; Trainer t = new Trainer(model, tc, tr, va, System.out)) {
            if (resume != null) t.resume(resume);
            t.run(out);
            if (va != null) t.validate(validateSamples);
        }
        return 0;
    }

    static int[] parseLayers(String[] s) {
        if (s.length == 1 && s[0].equalsIgnoreCase("none")) return new int[0];
        int[] l = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            try {
                l[i] = Integer.parseInt(s[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--cam-layers: '" + s[i] + "' is not a layer index");
            }
        }
        return l;
    }
}
