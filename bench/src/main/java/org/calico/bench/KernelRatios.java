package org.calico.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs JMH benchmarks that come in {@code torchComposite} / {@code nativeKernel} pairs (KernelsBench,
 * LayerNormBench) and prints, per parameter combination, both scores and the ratio composite / native (> 1: the
 * native kernel is faster). Arguments are JMH's own, e.g.
 * <pre>
 *   java -cp bench/target/benchmarks.jar org.calico.bench.KernelRatios KernelsBench -f 1 -wi 2 -i 3 -p dtype=f32
 * </pre>
 */
public final class KernelRatios {
    private KernelRatios() {}

    public static void main(String[] args) throws Exception {
        Options cli = new CommandLineOptions(args.length == 0 ? new String[] {"KernelsBench"} : args);
        Options opts = new OptionsBuilder().parent(cli).build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, double[]> byCase = new TreeMap<>();
        Map<String, String> unit = new LinkedHashMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String method = label.substring(label.lastIndexOf('.') + 1);
            String cls = label.substring(0, label.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            StringBuilder key = new StringBuilder(cls);
            for (String p : r.getParams().getParamsKeys()) key.append(' ').append(p).append('=').append(r.getParams().getParam(p));
            double[] v = byCase.computeIfAbsent(key.toString(), k -> new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN});
            double score = r.getPrimaryResult().getScore(), err = r.getPrimaryResult().getScoreError();
            if (method.equals("torchComposite")) {
                v[0] = score;
                v[2] = err;
            } else if (method.equals("nativeKernel")) {
                v[1] = score;
                v[3] = err;
            }
            unit.put(key.toString(), r.getPrimaryResult().getScoreUnit());
        }
        System.out.println();
        System.out.printf("%-52s %22s %22s %8s%n", "case", "torchComposite", "nativeKernel", "ratio");
        for (Map.Entry<String, double[]> e : byCase.entrySet()) {
            double[] v = e.getValue();
            String u = unit.get(e.getKey());
            System.out.printf("%-52s %12.3f ± %-6.3f %s %12.3f ± %-6.3f %s %7.2fx%n", e.getKey(), v[0], v[2], u, v[1], v[3], u, v[0] / v[1]);
        }
    }
}
