package org.calico.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * AdamW with PyTorch's exact update ({@code torch.optim.AdamW}, non-amsgrad, single-tensor path):
 * <pre>
 *   p *= 1 - lr * wd
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * The state (step count, first and second moments per parameter, fp32) is explicit so that a checkpoint holds it and
 * a resumed run continues bit for bit ({@link #state()}, {@link #loadState(Map)}). Not thread-safe.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Param> params;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Param> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = new LinkedHashMap<>(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        try (PointerScope s = new PointerScope()) {
            for (var e : this.params.entrySet()) {
                m.put(e.getKey(), T.keep(torch.zeros_like(e.getValue().t()).to(DType.F32.scalarType())));
                v.put(e.getKey(), T.keep(torch.zeros_like(e.getValue().t()).to(DType.F32.scalarType())));
            }
        }
    }

    /** The paper's settings: betas (0.9, 0.95), eps 1e-8, weight decay 0 (LISA/GLaMM). */
    public static AdamW paper(Map<String, Param> params) { return new AdamW(params, 0.9, 0.95, 1e-8, 0.0); }

    public long stepCount() { return step; }

    /** One update with learning rate {@code lr} from the parameters' current {@code .grad()} (missing grads are skipped). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (var e : params.entrySet()) {
                Tensor p = e.getValue().t();
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) continue;
                Tensor gf = grad.to(torch.ScalarType.Float);
                Tensor pf = p.to(torch.ScalarType.Float);
                if (weightDecay != 0) pf = pf.mul(new Scalar(1 - lr * weightDecay));
                Tensor mm = m.get(e.getKey()), vv = v.get(e.getKey());
                mm.mul_(new Scalar(beta1)).add_(gf, new Scalar(1 - beta1));
                vv.mul_(new Scalar(beta2)).add_(gf.mul(gf), new Scalar(1 - beta2));
                Tensor denom = vv.sqrt().div(new Scalar(bc2Sqrt)).add(new Scalar(eps));
                pf = pf.add(mm.div(denom), new Scalar(-stepSize));
                p.copy_(pf);
            }
        }
    }

    /** Sets every parameter's gradient to undefined (as {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        try (PointerScope s = new PointerScope()) {
            for (Param p : params.values()) {
                Tensor g = p.t().grad();
                if (g != null && g.defined()) p.t().mutable_grad().reset();
            }
        }
    }

    /** Optimizer state as named tensors ({@code step}, {@code exp_avg.<name>}, {@code exp_avg_sq.<name>}), shared. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("step", T.fromLongs(new long[] {step}, 1));
        m.forEach((k, t) -> out.put("exp_avg." + k, t));
        v.forEach((k, t) -> out.put("exp_avg_sq." + k, t));
        return out;
    }

    /** Restores {@link #state()}; every parameter's moments must be present with the right shape. */
    public void loadState(Map<String, Tensor> st) {
        Tensor s = st.get("step");
        if (s == null) throw new IllegalArgumentException("optimizer state has no 'step'");
        List<String> bad = new ArrayList<>();
        for (String k : params.keySet()) {
            for (String kind : new String[] {"exp_avg.", "exp_avg_sq."}) {
                Tensor t = st.get(kind + k);
                Tensor dst = (kind.equals("exp_avg.") ? m : v).get(k);
                if (t == null || !java.util.Arrays.equals(T.shape(t), T.shape(dst))) bad.add(kind + k);
            }
        }
        if (!bad.isEmpty()) throw new IllegalArgumentException("optimizer state missing or mis-shaped: " + bad);
        try (PointerScope sc = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (String k : params.keySet()) {
                m.get(k).copy_(st.get("exp_avg." + k));
                v.get(k).copy_(st.get("exp_avg_sq." + k));
            }
        }
        step = T.toLongs(s)[0];
    }

    @Override public void close() {
        m.values().forEach(T::release);
        v.values().forEach(T::release);
        m.clear();
        v.clear();
    }
}
