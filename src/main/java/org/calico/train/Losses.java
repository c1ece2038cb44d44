package org.calico.train;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.T;

/**
 * CALICO's training losses (paper appendix C.1: 1.0 CE + 2.0 focal + 0.5 Dice), written after the upstream code:
 * <ul>
 *   <li>{@link #causalLmCrossEntropy}: HF causal-LM loss (logits at t predict label t+1, ignore index -100, mean over
 *       the counted tokens); labels are -100 everywhere but the answer tokens;</li>
 *   <li>{@link #sigmoidFocal}: torchvision {@code sigmoid_focal_loss} (alpha 0.25, gamma 2) per pixel, averaged per mask,
 *       summed over masks and divided by the mask count (GLaMM's mask-loss aggregation);</li>
 *   <li>{@link #dice}: GLaMM/LISA {@code calculate_dice_loss} (scale 1000, eps 1e-6), summed / mask count;</li>
 *   <li>{@link #sigmoidBce}: GLaMM/LISA {@code compute_sigmoid_cross_entropy} (the BCE option), mean per mask, summed /
 *       mask count.</li>
 * </ul>
 * Mask inputs: logits and targets {@code [M, H, W]} (or {@code [M, P]}) at the original image resolution, targets in
 * {0, 1}. All losses return a 0-d tensor with autograd.
 */
public final class Losses {
    private Losses() {}

    public static final long IGNORE_INDEX = -100;

    /** logits [B, L, V], labels I64 [B, L] (-100 = ignored). */
    public static Tensor causalLmCrossEntropy(Tensor logits, Tensor labels) {
        long b = logits.size(0), l = logits.size(1), v = logits.size(2);
        if (labels.size(0) != b || labels.size(1) != l)
            throw new IllegalArgumentException("labels " + T.shapeString(labels) + " do not match logits " + T.shapeString(logits));
        Tensor lg = logits.narrow(1, 0, l - 1).reshape(-1, v).to(torch.ScalarType.Float);
        Tensor lb = labels.narrow(1, 1, l - 1).reshape(-1);
        // reduction 1 = mean over non-ignored targets
        return torch.cross_entropy_loss(lg, lb, new TensorOptional(), 1, IGNORE_INDEX, 0.0);
    }

    private static long masks(Tensor logits) { return logits.size(0); }

    private static Tensor perMaskMeanSum(Tensor perPixel, long m) {
        return perPixel.reshape(m, -1).mean(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).sum()
                .div(new Scalar(m + 1e-8));
    }

    public static Tensor sigmoidFocal(Tensor logits, Tensor targets, double alpha, double gamma) {
        long m = masks(logits);
        Tensor x = logits.to(torch.ScalarType.Float), t = targets.to(torch.ScalarType.Float);
        Tensor p = torch.sigmoid(x);
        Tensor ce = torch.binary_cross_entropy_with_logits(x, t, new TensorOptional(), new TensorOptional(), 0);
        // p_t = p t + (1 - p)(1 - t); loss = ce (1 - p_t)^gamma; alpha_t = alpha t + (1 - alpha)(1 - t)
        Tensor pt = p.mul(t).add(p.neg().add(new Scalar(1)).mul(t.neg().add(new Scalar(1))));
        Tensor loss = ce.mul(torch.pow(pt.neg().add(new Scalar(1)), new Scalar(gamma)));
        if (alpha >= 0) {
            Tensor at = t.mul(new Scalar(alpha)).add(t.neg().add(new Scalar(1)).mul(new Scalar(1 - alpha)));
            loss = loss.mul(at);
        }
        return perMaskMeanSum(loss, m);
    }

    public static Tensor sigmoidFocal(Tensor logits, Tensor targets) { return sigmoidFocal(logits, targets, 0.25, 2.0); }

    public static Tensor dice(Tensor logits, Tensor targets, double scale, double eps) {
        long m = masks(logits);
        Tensor p = torch.sigmoid(logits.to(torch.ScalarType.Float)).reshape(m, -1);
        Tensor t = targets.to(torch.ScalarType.Float).reshape(m, -1);
        Tensor num = p.div(new Scalar(scale)).mul(t).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).mul(new Scalar(2));
        Tensor den = p.div(new Scalar(scale)).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
                .add(t.div(new Scalar(scale)).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
        Tensor loss = num.add(new Scalar(eps)).div(den.add(new Scalar(eps))).neg().add(new Scalar(1));
        return loss.sum().div(new Scalar(m + 1e-8));
    }

    public static Tensor dice(Tensor logits, Tensor targets) { return dice(logits, targets, 1000, 1e-6); }

    public static Tensor sigmoidBce(Tensor logits, Tensor targets) {
        long m = masks(logits);
        Tensor ce = torch.binary_cross_entropy_with_logits(logits.to(torch.ScalarType.Float), targets.to(torch.ScalarType.Float),
                new TensorOptional(), new TensorOptional(), 0);
        return perMaskMeanSum(ce, m);
    }
}
