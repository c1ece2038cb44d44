package org.calico.train;

import java.util.Collection;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.Param;

/** {@code torch.nn.utils.clip_grad_norm_} (L2, error on non-finite norms off): scales all grads by max/(norm+1e-6) when norm > max. */
public final class GradClip {
    private GradClip() {}

    /** Returns the total L2 norm of the gradients before clipping. */
    public static double clip(Collection<Param> params, double maxNorm) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            double sq = 0;
            for (Param p : params) {
                Tensor gr = p.t().grad();
                if (gr == null || !gr.defined()) continue;
                double n = gr.to(torch.ScalarType.Float).norm().item_float();
                sq += n * n;
            }
            double total = Math.sqrt(sq);
            double coef = maxNorm / (total + 1e-6);
            if (coef < 1) {
                for (Param p : params) {
                    Tensor gr = p.t().grad();
                    if (gr != null && gr.defined()) gr.mul_(new Scalar(coef));
                }
            }
            return total;
        }
    }
}
