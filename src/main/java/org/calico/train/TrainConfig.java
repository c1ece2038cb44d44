package org.calico.train;

/**
 * Training hyper-parameters (paper appendix C.1 defaults: AdamW lr 3e-4, betas (0.9, 0.95), grad clip 1.0, loss =
 * 1.0 CE + 2.0 focal + 0.5 Dice; LISA/GLaMM: 100 warm-up steps, linear decay).
 *
 * @param steps           optimizer steps
 * @param batch           samples per optimizer step (each sample's gradient is accumulated; per-sample graphs are
 *                        freed at once, so memory stays at one sample's)
 * @param lr              peak learning rate
 * @param warmup          linear warm-up steps
 * @param clip            gradient-norm clip (0 = off)
 * @param ceWeight        lambda_text
 * @param focalWeight     lambda_focal (or the BCE weight with {@code bce})
 * @param diceWeight      lambda_Dice
 * @param bce             GLaMM's per-pixel BCE instead of the sigmoid focal loss
 * @param fromScratch     every weight trainable (the tiny preset); otherwise the paper's selection (LoRA, CEM, CAMs,
 *                        text_hidden_fcs, SAM mask decoder)
 * @param seed            initialisation, data order and dropout seed
 * @param validateEvery   steps between validations (0 = only at the end)
 * @param validateSamples validation samples per validation
 * @param checkpointEvery steps between checkpoints (0 = only at the end)
 * @param maxMinutes      wall-clock budget; training stops (and saves) when it is spent (0 = none)
 * @param workers         threads computing the samples of a step in parallel (data parallel on one model: each
 *                        sample's gradient is computed on its own thread, then summed in sample order, so the result
 *                        is bit-identical to {@code workers = 1}); at most {@code batch} are used
 */
public record TrainConfig(int steps, int batch, double lr, int warmup, double clip, double ceWeight, double focalWeight,
                          double diceWeight, boolean bce, boolean fromScratch, long seed, int validateEvery, int validateSamples,
                          int checkpointEvery, double maxMinutes, int workers) {
    public TrainConfig {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        if (steps < 1 || batch < 1) throw new IllegalArgumentException("steps and batch must be >= 1");
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0");
        if (warmup < 0 || warmup > steps) throw new IllegalArgumentException("warmup must be in [0, steps]");
    }

    /** One worker thread. */
    public TrainConfig(int steps, int batch, double lr, int warmup, double clip, double ceWeight, double focalWeight,
                       double diceWeight, boolean bce, boolean fromScratch, long seed, int validateEvery, int validateSamples,
                       int checkpointEvery, double maxMinutes) {
        this(steps, batch, lr, warmup, clip, ceWeight, focalWeight, diceWeight, bce, fromScratch, seed, validateEvery, validateSamples,
                checkpointEvery, maxMinutes, 1);
    }

    public TrainConfig withWorkers(int w) {
        return new TrainConfig(steps, batch, lr, warmup, clip, ceWeight, focalWeight, diceWeight, bce, fromScratch, seed, validateEvery,
                validateSamples, checkpointEvery, maxMinutes, w);
    }

    public static TrainConfig defaults(int steps) {
        return new TrainConfig(steps, 4, 3e-4, Math.min(100, steps / 10), 1.0, 1.0, 2.0, 0.5, false, false, 42, 0, 32, 0, 0);
    }

    public TrainConfig withFromScratch(boolean b) {
        return new TrainConfig(steps, batch, lr, warmup, clip, ceWeight, focalWeight, diceWeight, bce, b, seed, validateEvery, validateSamples, checkpointEvery, maxMinutes, workers);
    }
}
