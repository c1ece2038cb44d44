package org.calico.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.calico.io.TensorInfo;
import org.calico.io.TensorSource;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * Base of every CALICO model box: a plain Java object holding named parameter tensors (upstream state-dict names)
 * and child modules, whose {@code forward} methods call LibTorch functional ops. It is deliberately not a LibTorch
 * {@code nn::Module} (JavaCPP subclasses of those crash inside containers, see toolchain.md).
 *
 * <p>Lifecycle: a constructor registers parameters with {@link #param}/{@link #buffer}/{@link #child}; tensors are
 * allocated (zeros) in the module's dtype on its device. Before any forward the weights must come from
 * {@link #load(TensorSource, KeyMapping, boolean)} (all keys checked first; on any missing or mismatched key nothing is
 * loaded and a {@link ModuleLoadException} carries the report) or from {@link #initRandom(long)}. Forward methods call
 * {@link #requireReady()}, so a half-loaded module never runs. Forward passes are thread-safe as long as nobody
 * loads, converts or trains concurrently; parameters are only read.
 */
public abstract class Module implements AutoCloseable {
    static {
        CalicoRuntime.init();
    }

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private DType dtype;
    private Dev device;
    private volatile boolean ready;

    protected Module() { this(DType.F32, Dev.CPU); }

    protected Module(DType dtype, Dev device) {
        if (!dtype.isFloatingPoint()) throw new IllegalArgumentException("module dtype must be floating point, got " + dtype);
        this.dtype = dtype;
        this.device = device;
    }

    // ---------------------------------------------------------------- registration

    /** Registers a parameter with the default {@link Init#byName} initialisation. */
    protected final Param param(String name, long... shape) { return param(name, null, shape); }

    /** Registers a floating-point parameter in the module's dtype. */
    protected final Param param(String name, Init init, long... shape) {
        return register(name, shape, false, null, init == null ? Init.byName(name, shape.length) : init);
    }

    /** Registers a persistent buffer (in the state dict, never trained). {@code fixed} null follows the module dtype. */
    protected final Param buffer(String name, DType fixed, Init init, long... shape) {
        return register(name, shape, true, fixed, init == null ? Init.ZEROS : init);
    }

    private Param register(String name, long[] shape, boolean buffer, DType fixed, Init init) {
        checkName(name);
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("duplicate name '" + name + "'");
        DType d = fixed != null ? fixed : dtype;
        Tensor t;
        try (PointerScope scope = new PointerScope()) {
            t = T.keep(T.zeros(d, device, shape));
        }
        Param p = new Param(name, shape, buffer, fixed, init, t);
        T.release(t); // the Param holds its own reference
        params.put(name, p);
        return p;
    }

    /** Registers a child module; its parameters appear as {@code name.<child key>}. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("duplicate name '" + name + "'");
        if (module.dtype() != dtype || !module.device().equals(device))
            throw new IllegalArgumentException("child '" + name + "' is " + module.dtype() + "/" + module.device() + " but its parent is " + dtype + "/" + device);
        children.put(name, module);
        return module;
    }

    /** Registers a list of children as {@code name.0, name.1, ...} (PyTorch ModuleList naming). */
    protected final <M extends Module> List<M> children(String name, List<M> modules) {
        for (int i = 0; i < modules.size(); i++) child(name + "." + i, modules.get(i));
        return Collections.unmodifiableList(new ArrayList<>(modules));
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.startsWith(".") || name.endsWith("."))
            throw new IllegalArgumentException("invalid parameter/child name '" + name + "'");
    }

    // ---------------------------------------------------------------- introspection

    public final DType dtype() { return dtype; }

    public final Dev device() { return device; }

    /** All parameters and buffers under their full dotted names, in registration order. */
    public final Map<String, Param> namedParams() {
        Map<String, Param> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Param> out) {
        for (var e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (var e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    /** Child modules (direct). */
    public final Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    /** The state dict: full names to the live tensors (shared, not copies). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParams().forEach((k, p) -> out.put(k, p.t()));
        return out;
    }

    /** Number of elements in parameters (not buffers) matching {@code filter} on the full name. */
    public final long parameterCount(Predicate<String> filter) {
        long n = 0;
        for (var e : namedParams().entrySet()) if (!e.getValue().isBuffer() && filter.test(e.getKey())) n += e.getValue().numel();
        return n;
    }

    public final long parameterCount() { return parameterCount(k -> true); }

    /** Trainable parameters, by full name. */
    public final Map<String, Param> trainableParams() {
        Map<String, Param> out = new LinkedHashMap<>();
        namedParams().forEach((k, p) -> {
            if (p.trainable()) out.put(k, p);
        });
        return out;
    }

    /** Marks parameters whose full name matches {@code filter} trainable, all others frozen. */
    public final void setTrainable(Predicate<String> filter) {
        namedParams().forEach((k, p) -> {
            if (!p.isBuffer()) p.setTrainable(filter.test(k));
        });
    }

    public final boolean isReady() { return ready; }

    /** Throws unless every parameter of this module tree was loaded or initialised. */
    protected final void requireReady() {
        if (!ready)
            throw new ModuleNotReadyException(getClass().getSimpleName() + " has not been loaded or initialised: call load(...) or initRandom(...) first");
    }

    private void setReady(boolean r) {
        ready = r;
        for (Module c : children.values()) c.setReady(r);
    }

    /** Marks the tree ready after the caller filled every parameter by other means (e.g. a training resume). */
    public final void markReady() {
        weightsChanged();
        setReady(true);
    }

    /** Calls {@link #onWeightsChanged()} on every module of the tree, children first. */
    private void weightsChanged() {
        for (Module c : children.values()) c.weightsChanged();
        onWeightsChanged();
    }

    // ---------------------------------------------------------------- initialisation and loading

    /** Fills every parameter with its {@link Init} from a generator seeded with {@code seed}; the module becomes ready. */
    public final void initRandom(long seed) {
        torch.manual_seed(seed);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Param p : namedParams().values()) p.init().fill(p.t());
        }
        weightsChanged();
        setReady(true);
    }

    /**
     * Loads every parameter from {@code source} through {@code mapping}. All keys and shapes are checked before any
     * tensor is copied; if a key is missing (and not optional), a shape differs, or (unless {@code allowUnexpected})
     * the checkpoint holds keys the mapping neither uses nor ignores, nothing is loaded and a
     * {@link ModuleLoadException} carries the report. Data are converted to the module's dtype and device.
     */
    public final LoadReport load(TensorSource source, KeyMapping mapping, boolean allowUnexpected) {
        Map<String, Param> named = namedParams();
        List<String> loaded = new ArrayList<>(), missing = new ArrayList<>(), mismatch = new ArrayList<>(),
                unexpected = new ArrayList<>(), ignored = new ArrayList<>(), defaulted = new ArrayList<>();
        Set<String> consumed = new HashSet<>();
        Map<String, KeyMapping.Resolution> plan = new LinkedHashMap<>();
        Set<String> available = source.names();
        for (var e : named.entrySet()) {
            String key = e.getKey();
            KeyMapping.Resolution r = mapping.resolve(key);
            List<String> absent = new ArrayList<>();
            for (String s : r.sourceKeys()) {
                if (s == null) continue;
                if (available.contains(s)) consumed.add(s); // referenced, even if this parameter fails below
                else absent.add(s);
            }
            if (!absent.isEmpty()) {
                if (mapping.isOptional(key)) defaulted.add(key);
                else missing.add(key + (absent.equals(List.of(key)) ? "" : " (looked for " + String.join(", ", absent) + ")"));
                continue;
            }
            long[] got = expectedShape(source, r);
            long[] want = e.getValue().shape();
            boolean shapeOk = Arrays.equals(got, want) || (r.reshapeAllowed() && got != null && T.numel(got) == T.numel(want));
            if (!shapeOk) {
                mismatch.add(key + ": model " + Arrays.toString(want) + ", checkpoint " + (got == null ? "inconsistent parts" : Arrays.toString(got))
                        + " (" + String.join(", ", r.sourceKeys().stream().map(s -> s == null ? KeyMapping.ZEROS : s).toList()) + ")");
                continue;
            }
            plan.put(key, r);
        }
        for (String s : available) {
            if (consumed.contains(s)) continue;
            if (mapping.isIgnored(s)) ignored.add(s);
            else unexpected.add(s);
        }
        LoadReport report0 = new LoadReport(source.description() + " via " + mapping.name(), List.of(), missing, unexpected, mismatch, ignored, defaulted);
        if (!report0.ok(allowUnexpected)) throw new ModuleLoadException(report0);

        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : plan.entrySet()) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor src = read(source, e.getValue());
                    Param p = named.get(e.getKey());
                    p.t().copy_(src.reshape(p.shape()));
                    loaded.add(e.getKey());
                }
            }
            try (PointerScope scope = new PointerScope()) {
                for (String k : defaulted) named.get(k).init().fill(named.get(k).t());
            }
        }
        weightsChanged();
        setReady(true);
        return new LoadReport(report0.source(), loaded, missing, unexpected, mismatch, ignored, defaulted);
    }

    /** {@link #load(TensorSource, KeyMapping, boolean)} with unexpected keys refused. */
    public final LoadReport load(TensorSource source, KeyMapping mapping) { return load(source, mapping, false); }

    private static long[] expectedShape(TensorSource src, KeyMapping.Resolution r) {
        switch (r.kind()) {
            case COPY:
                return src.info(r.sourceKeys().get(0)).shape();
            case SLICE: {
                long[] s = src.info(r.sourceKeys().get(0)).shape();
                int d = r.dim() < 0 ? s.length + r.dim() : r.dim();
                if (d < 0 || d >= s.length || s[d] % r.parts() != 0) return null;
                s[d] /= r.parts();
                return s;
            }
            case FUSE: {
                long[] first = null;
                for (String k : r.sourceKeys()) if (k != null) { first = src.info(k).shape(); break; }
                if (first == null) return null;
                int d = r.dim() < 0 ? first.length + r.dim() : r.dim();
                long total = 0;
                for (String k : r.sourceKeys()) {
                    long[] s = k == null ? first : src.info(k).shape();
                    if (s.length != first.length) return null;
                    for (int i = 0; i < s.length; i++) if (i != d && s[i] != first[i]) return null;
                    total += s[d];
                }
                long[] out = first.clone();
                out[d] = total;
                return out;
            }
            default:
                throw new IllegalStateException();
        }
    }

    private static Tensor read(TensorSource src, KeyMapping.Resolution r) {
        switch (r.kind()) {
            case COPY:
                return src.load(r.sourceKeys().get(0));
            case SLICE: {
                Tensor t = src.load(r.sourceKeys().get(0));
                long n = t.size(r.dim()) / r.parts();
                return t.narrow(r.dim(), r.index() * n, n);
            }
            case FUSE: {
                List<Tensor> parts = new ArrayList<>();
                Tensor first = null;
                for (String k : r.sourceKeys()) if (k != null) { first = src.load(k); break; }
                for (String k : r.sourceKeys()) parts.add(k == null ? torch.zeros_like(first) : src.load(k));
                return torch.cat(new TensorVector(parts.toArray(new Tensor[0])), r.dim());
            }
            default:
                throw new IllegalStateException();
        }
    }

    /**
     * Hook for modules that cache derived tensors (e.g. merged LoRA weights); called after load/init/to/markReady on
     * every module of the tree (children first), whichever module of the tree the call was made on.
     */
    protected void onWeightsChanged() {}

    // ---------------------------------------------------------------- conversion

    /** Moves the whole tree to {@code dev} and casts floating-point parameters to {@code dt}; buffers with a fixed dtype keep it. */
    public final void to(Dev dev, DType dt) {
        if (!dt.isFloatingPoint()) throw new IllegalArgumentException("module dtype must be floating point, got " + dt);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : params.values()) {
                try (PointerScope scope = new PointerScope()) {
                    DType target = p.fixedDType() != null ? p.fixedDType() : dt;
                    p.replace(T.to(p.t(), dev, target).detach());
                }
            }
        }
        this.dtype = dt;
        this.device = dev;
        for (Module c : children.values()) c.to(dev, dt);
        onWeightsChanged();
    }

    /** Releases every tensor; the module cannot be used afterwards. */
    @Override public void close() {
        for (Module c : children.values()) c.close();
        for (Param p : params.values()) p.release();
        params.clear();
        ready = false;
    }
}
