package org.calico.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * CALICO Correspondence Adaptation Module injection (Cheetah VPG-C, spec §5 and §7), the two stages around the
 * (module-side) Q-Former call at decoder layer l:
 * <pre>
 *   adapt:       q'[b]  = queries + Linear(hidden[b, lastIdx[b]]; Wa, ba)                   -> [B, Nq, Dq]
 *   reintegrate: hidden[rows[j], starts[j] : starts[j]+Nq] += Linear(x[j]; Wr, br)  for every image j
 * </pre>
 * hidden [B, L, D] (D = 4096), Wa [Dq, D] ({@code qformer_proj}), Wr [D, Dq] ({@code llm_proj}), queries [1, Nq, Dq]
 * (or [Nq, Dq]), x [nImg, Nq, Dq] (the Q-Former outputs). {@link #reintegrate} is out of place (hidden untouched,
 * a new tensor returned); {@link #reintegrateInPlace} updates hidden (which must then be contiguous and not a leaf
 * that requires grad). Implementations: {@link TorchCamInjection}, {@link NativeCamInjection}; {@link Ops#camInjection()}.
 */
public interface CamInjectionOp extends AutoCloseable {
    /** wa [Dq, D], ba [Dq], queries [1, Nq, Dq] or [Nq, Dq] (the CAM's own query tokens). */
    record AdaptWeights(Tensor wa, Tensor ba, Tensor queries) {}

    /** wr [D, Dq], br [D]. */
    record ReintegrateWeights(Tensor wr, Tensor br) {}

    /** hidden [B, L, D], lastIdx[b] in [0, L) -> q' [B, Nq, Dq]. */
    Tensor adapt(Tensor hidden, long[] lastIdx, AdaptWeights w);

    /** A copy of hidden [B, L, D] with Linear(x[j]) added to rows [starts[j], starts[j] + Nq) of batch row rows[j]. */
    Tensor reintegrate(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w);

    /** As {@link #reintegrate}, updating hidden in place; returns hidden. */
    Tensor reintegrateInPlace(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w);

    @Override default void close() {}

    static void validateAdapt(Tensor hidden, long[] lastIdx, AdaptWeights w) {
        final String op = Ops.CAM_INJECTION + ".adapt";
        Checks.notNull(op, "weights", w);
        Checks.notNull(op, "lastIdx", lastIdx);
        Checks.shape(op, "hidden", hidden, -1, -1, -1);
        Checks.floating(op, "hidden", hidden);
        long b = hidden.size(0), l = hidden.size(1), d = hidden.size(2);
        Checks.shape(op, "wa", w.wa(), -1, d);
        long dq = w.wa().size(0);
        Checks.shape(op, "ba", w.ba(), dq);
        Checks.notNull(op, "queries", w.queries());
        if (w.queries().dim() == 3) Checks.shape(op, "queries", w.queries(), 1, -1, dq);
        else Checks.shape(op, "queries", w.queries(), -1, dq);
        for (Tensor t : new Tensor[] {w.wa(), w.ba(), w.queries()}) Checks.like(op, hidden, "weight", t);
        if (lastIdx.length != b) throw new KernelException(op + ": " + lastIdx.length + " last-token indices for a batch of " + b);
        for (int i = 0; i < lastIdx.length; i++)
            if (lastIdx[i] < 0 || lastIdx[i] >= l)
                throw new KernelException(op + ": last-token index " + lastIdx[i] + " of row " + i + " outside [0, " + l + ")");
    }

    static void validateReintegrate(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
        final String op = Ops.CAM_INJECTION + ".reintegrate";
        Checks.notNull(op, "weights", w);
        Checks.notNull(op, "rows", rows);
        Checks.notNull(op, "starts", starts);
        Checks.shape(op, "hidden", hidden, -1, -1, -1);
        Checks.floating(op, "hidden", hidden);
        long b = hidden.size(0), l = hidden.size(1), d = hidden.size(2);
        Checks.shape(op, "x", x, -1, -1, -1);
        long nImg = x.size(0), nq = x.size(1), dq = x.size(2);
        Checks.shape(op, "wr", w.wr(), d, dq);
        Checks.shape(op, "br", w.br(), d);
        Checks.like(op, hidden, "x", x);
        Checks.like(op, hidden, "wr", w.wr());
        Checks.like(op, hidden, "br", w.br());
        NativeOps.checkSpans(op, rows, starts, nImg, nq, b, l);
    }
}
