package org.calico.kernels;

import java.util.Arrays;
import java.util.function.Function;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.T;

/**
 * A one-entry cache of tensors derived from weights (e.g. Wk;Wv concatenated for one GEMM, a transposed-conv weight
 * reordered for a GEMM), owned by one op instance. An entry is reused while the source tensors are the same data: same
 * address, shape, dtype, device and autograd version counter (an in-place update such as loading a checkpoint into the
 * parameter bumps the version and forces a recompute). The entry holds handles to its sources, so their memory cannot
 * be freed and reused by other tensors while it lives. Thread-safe; callers receive their own handles (owned by their
 * PointerScope), so replacing the entry never frees a tensor another thread is using.
 */
final class DerivedWeights implements AutoCloseable {
    private record Entry(Tensor[] sources, long[] addresses, long[] versions, String[] meta, Tensor[] derived) {}

    private Entry entry;

    /** The derived tensors for {@code sources}, computing them with {@code compute} when the cached entry does not match. */
    synchronized Tensor[] get(Tensor[] sources, Function<Tensor[], Tensor[]> compute) {
        if (entry == null || !matches(entry, sources)) {
            Tensor[] derived;
            try (PointerScope scope = new PointerScope()) {
                Tensor[] d = compute.apply(sources);
                derived = new Tensor[d.length];
                for (int i = 0; i < d.length; i++) derived[i] = T.handle(d[i]);
            }
            Tensor[] held = new Tensor[sources.length];
            long[] addresses = new long[sources.length];
            long[] versions = new long[sources.length];
            String[] meta = new String[sources.length];
            for (int i = 0; i < sources.length; i++) {
                held[i] = T.handle(sources[i]);
                addresses[i] = T.address(sources[i]);
                versions[i] = version(sources[i]);
                meta[i] = meta(sources[i]);
            }
            release(entry);
            entry = new Entry(held, addresses, versions, meta, derived);
        }
        Tensor[] out = new Tensor[entry.derived().length];
        for (int i = 0; i < out.length; i++) out[i] = new Tensor(entry.derived()[i]);
        return out;
    }

    private static boolean matches(Entry e, Tensor[] sources) {
        if (e.sources().length != sources.length) return false;
        for (int i = 0; i < sources.length; i++) {
            if (T.address(sources[i]) != e.addresses()[i]) return false;
            if (version(sources[i]) != e.versions()[i]) return false;
            if (!meta(sources[i]).equals(e.meta()[i])) return false;
        }
        return true;
    }

    private static long version(Tensor t) {
        try {
            return t._version();
        } catch (RuntimeException e) {
            return -1; // inference tensors carry no version counter
        }
    }

    private static String meta(Tensor t) {
        return Arrays.toString(T.shape(t)) + Arrays.toString(strides(t)) + T.dtype(t) + (t.is_cuda() ? "cuda" + t.device().index() : "cpu");
    }

    private static long[] strides(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) s[i] = t.stride(i);
        return s;
    }

    private static void release(Entry e) {
        if (e == null) return;
        for (Tensor t : e.sources()) T.release(t);
        for (Tensor t : e.derived()) T.release(t);
    }

    @Override
    public synchronized void close() {
        release(entry);
        entry = null;
    }
}
