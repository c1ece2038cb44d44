package org.calico.kernels;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/** Argument checks shared by the composite and native implementations: same messages whichever backend runs. */
final class Checks {
    private Checks() {}

    static void notNull(String op, String name, Object t) {
        if (t == null) throw new KernelException(op + ": '" + name + "' is required");
    }

    /** Shape check; -1 in {@code expected} matches any size. */
    static void shape(String op, String name, Tensor t, long... expected) {
        notNull(op, name, t);
        long[] s = T.shape(t);
        boolean ok = s.length == expected.length;
        for (int i = 0; ok && i < s.length; i++) ok = expected[i] < 0 || expected[i] == s[i];
        if (!ok)
            throw new KernelException(op + ": '" + name + "' has shape " + Arrays.toString(s) + ", expected "
                    + Arrays.toString(expected).replace("-1", "*"));
    }

    /** Floating point, same dtype and device as {@code ref}. */
    static void like(String op, Tensor ref, String name, Tensor t) {
        notNull(op, name, t);
        if (t.is_cuda() != ref.is_cuda() || (t.is_cuda() && t.device().index() != ref.device().index()))
            throw new KernelException(op + ": '" + name + "' is on " + dev(t) + " but the input is on " + dev(ref));
        if (t.scalar_type().value != ref.scalar_type().value)
            throw new KernelException(op + ": '" + name + "' is " + T.dtype(t) + " but the input is " + T.dtype(ref));
    }

    static void floating(String op, String name, Tensor t) {
        DType d = T.dtype(t);
        if (!d.isFloatingPoint()) throw new KernelException(op + ": '" + name + "' must be floating point, got " + d);
    }

    static void heads(String op, long width, int heads) {
        if (heads < 1 || width % heads != 0)
            throw new KernelException(op + ": width " + width + " is not divisible into " + heads + " heads");
    }

    static String dev(Tensor t) { return t.is_cuda() ? "cuda:" + Math.max(0, t.device().index()) : "cpu"; }
}
