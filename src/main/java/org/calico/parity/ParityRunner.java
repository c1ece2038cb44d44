package org.calico.parity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.tensor.T;

/**
 * {@code ./calico parity DIR}: runs every case folder under DIR (any folder holding a {@code case.json}), compares
 * each output with numpy {@code allclose} semantics ({@code |actual - expected| <= atol + rtol * |expected|}) and
 * prints one line per case plus a summary. The gate passes only if every case passes.
 */
public final class ParityRunner {
    private final Map<String, ParityHandler> handlers = new HashMap<>();

    public ParityRunner(List<ParityHandler> hs) {
        for (ParityHandler h : hs) for (String m : h.modules()) handlers.put(m, h);
    }

    public static ParityRunner withAllHandlers() { return new ParityRunner(ParityHandlers.all()); }

    /** Case folders under {@code root} (root itself if it is a case), sorted by name. */
    public static List<Path> caseDirs(Path root) {
        if (Files.isRegularFile(root.resolve("case.json"))) return List.of(root);
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("parity directory not found: " + root);
        try (var s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("case.json"))).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    public ParityResult run(Path dir) {
        long t0 = System.nanoTime();
        ParityCase c;
        try {
            c = ParityCase.read(dir);
        } catch (RuntimeException e) {
            return new ParityResult(dir.getFileName().toString(), ParityResult.Status.FAIL, Double.NaN, 0, 0, e.getMessage(), 0);
        }
        ParityHandler h = handlers.get(c.module());
        if (h == null)
            return new ParityResult(c.name(), ParityResult.Status.UNSUPPORTED, Double.NaN, c.atol(), c.rtol(),
                    "no implementation for module '" + c.module() + "'", 0);
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard();
             SafeTensorsFile w = SafeTensorsFile.open(c.weights()); SafeTensorsFile io = SafeTensorsFile.open(c.io())) {
            Map<String, Tensor> got = h.run(c, w, io);
            double worst = 0;
            List<String> bad = new ArrayList<>();
            for (String out : c.outputs()) {
                Tensor exp = io.load(out);
                Tensor act = got.get(out);
                if (act == null) {
                    bad.add(out + ": not produced");
                    continue;
                }
                Compare cmp = compare(act, exp, c.atol(), c.rtol());
                worst = Math.max(worst, cmp.maxAbs);
                if (!cmp.ok) bad.add(out + ": " + cmp.detail);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            return new ParityResult(c.name(), bad.isEmpty() ? ParityResult.Status.PASS : ParityResult.Status.FAIL, worst,
                    c.atol(), c.rtol(), String.join("; ", bad), secs);
        } catch (RuntimeException e) {
            return new ParityResult(c.name(), ParityResult.Status.FAIL, Double.NaN, c.atol(), c.rtol(),
                    e.getClass().getSimpleName() + ": " + e.getMessage(), (System.nanoTime() - t0) / 1e9);
        }
    }

    record Compare(boolean ok, double maxAbs, String detail) {}

    static Compare compare(Tensor actual, Tensor expected, double atol, double rtol) {
        long[] sa = T.shape(actual), se = T.shape(expected);
        if (!Arrays.equals(sa, se)) return new Compare(false, Double.POSITIVE_INFINITY, "shape " + Arrays.toString(sa) + " != expected " + Arrays.toString(se));
        float[] a = T.toFloats(actual), e = T.toFloats(expected);
        double maxAbs = 0;
        int violations = 0;
        int worstIdx = -1;
        double worstExcess = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, d);
            double allow = atol + rtol * Math.abs(e[i]);
            if (d > allow) {
                violations++;
                if (d / allow > worstExcess) {
                    worstExcess = d / allow;
                    worstIdx = i;
                }
            }
        }
        if (violations == 0) return new Compare(true, maxAbs, "");
        return new Compare(false, maxAbs, String.format(Locale.ROOT, "%d of %d elements outside tolerance, worst at %d: %.6g vs %.6g",
                violations, a.length, worstIdx, a[worstIdx], e[worstIdx]));
    }

    /** Runs all cases, printing lines to {@code out}; returns the results. */
    public List<ParityResult> runAll(Path root, PrintStream out) {
        List<ParityResult> rs = new ArrayList<>();
        for (Path d : caseDirs(root)) {
            ParityResult r = run(d);
            out.println(r.line());
            out.flush();
            rs.add(r);
        }
        out.println(summary(rs));
        return rs;
    }

    public static String summary(List<ParityResult> rs) {
        long pass = rs.stream().filter(r -> r.status() == ParityResult.Status.PASS).count();
        long fail = rs.stream().filter(r -> r.status() == ParityResult.Status.FAIL).count();
        long uns = rs.stream().filter(r -> r.status() == ParityResult.Status.UNSUPPORTED).count();
        return String.format(Locale.ROOT, "parity: %d cases, %d PASS, %d FAIL, %d UNSUPPORTED -> %s", rs.size(), pass, fail, uns,
                fail == 0 && uns == 0 && !rs.isEmpty() ? "OK" : "NOT OK");
    }

    public static boolean allPassed(List<ParityResult> rs) {
        return !rs.isEmpty() && rs.stream().allMatch(r -> r.status() == ParityResult.Status.PASS);
    }
}
