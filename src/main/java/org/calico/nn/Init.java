package org.calico.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * How a parameter is filled by {@link Module#initRandom(long)}. Upstream code usually re-initialises what matters
 * after construction; these cover the cases CALICO needs (random-weight benchmarks, training from scratch, and
 * zero-initialised residual branches such as CEM's output projection and the CAM projections).
 */
@FunctionalInterface
public interface Init {
    /** Fills {@code t} in place (called under NoGradGuard). */
    void fill(Tensor t);

    Init ZEROS = t -> t.zero_();
    Init ONES = t -> t.fill_(new org.bytedeco.pytorch.Scalar(1.0));

    /** N(0, std^2). */
    static Init normal(double std) { return t -> t.normal_(0.0, std, new org.bytedeco.pytorch.GeneratorOptional()); }

    /** N(mean, std^2). */
    static Init normal(double mean, double std) { return t -> t.normal_(mean, std, new org.bytedeco.pytorch.GeneratorOptional()); }

    /** U(lo, hi). */
    static Init uniform(double lo, double hi) { return t -> t.uniform_(lo, hi, new org.bytedeco.pytorch.GeneratorOptional()); }

    /** N(0, 1/fan_in) with fan_in = product of all dims but the first (Linear [out, in], Conv [out, in, kh, kw]). */
    Init FAN_IN = t -> {
        long fanIn = 1;
        for (int i = 1; i < t.dim(); i++) fanIn *= t.size(i);
        t.normal_(0.0, 1.0 / Math.sqrt(Math.max(1, fanIn)), new org.bytedeco.pytorch.GeneratorOptional());
    };

    /** N(0, 1/in) for ConvTranspose2d weights [in, out, kh, kw] (stride == kernel). */
    Init FAN_IN_TRANSPOSED = t -> t.normal_(0.0, 1.0 / Math.sqrt(Math.max(1, t.size(0))), new org.bytedeco.pytorch.GeneratorOptional());

    /** Default by name and rank: "*bias" zeros, 1-D weights (norms) ones, others {@link #FAN_IN}. */
    static Init byName(String name, int rank) {
        if (name.endsWith("bias")) return ZEROS;
        if (rank <= 1) return ONES;
        return FAN_IN;
    }
}
