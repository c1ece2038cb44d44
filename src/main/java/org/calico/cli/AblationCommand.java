package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.calico.data.DatasetDir;
import org.calico.eval.EvalResult;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoConfig;
import org.calico.model.CalicoModel;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.train.TrainConfig;
import org.calico.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ablation", mixinStandardHelpOptions = true,
        description = "The paper's ablation (Table 3, Fig. 5) on calico-tiny: trains full, w/o CEM, w/o CAM, w/o both, and CAM at "
                + "1/2/3 layers with the same budget and seed, evaluates each on the test split, writes ablation.md and ablation.json.")
public final class AblationCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "synthetic MixedParts dataset (train, test splits)") Path data;
    @Option(names = "--out", required = true) Path out;
    @Option(names = "--steps", defaultValue = "1800") int steps;
    @Option(names = "--batch", defaultValue = "4") int batch;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--minutes", defaultValue = "20", description = "training budget per variant") double minutes;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--test-split", defaultValue = "test") String testSplit;
    @Option(names = "--test-samples", defaultValue = "300") int testSamples;
    @Option(names = "--workers", description = "threads per training step (data parallel, bit-identical to 1; default: all cores, "
            + "at most --batch)") Integer workers;
    @Option(names = "--only", split = ",", description = "run only these variants (names as in the table)") List<String> only;

    record Variant(String name, boolean cem, int[] cams) {}

    @Override public Integer call() throws Exception {
        CalicoRuntime.init();
        CalicoRuntime.setThreads(1);
        DatasetDir.Loaded tr = DatasetDir.load(data, "train");
        DatasetDir.Loaded te = DatasetDir.load(data, testSplit);
        var tests = te.samples().subList(0, Math.min(testSamples, te.samples().size()));
        List<Variant> vs = List.of(new Variant("full (CEM + 2 CAMs)", true, CalicoConfig.evenCamLayers(4, 2)),
                new Variant("w/o CEM", false, CalicoConfig.evenCamLayers(4, 2)),
                new Variant("w/o CAM", true, new int[0]),
                new Variant("w/o CEM, w/o CAM", false, new int[0]),
                new Variant("1 CAM", true, CalicoConfig.evenCamLayers(4, 1)),
                new Variant("3 CAMs", true, CalicoConfig.evenCamLayers(4, 3)));
        Files.createDirectories(out);
        Map<String, EvalResult> results = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "| variant | CEM | CAM layers | steps | mIoU | AP50 | Recall | SS | S-IoU |%n|---|---|---|---|---|---|---|---|---|%n"));
        for (Variant v : vs) {
            if (only != null && !only.contains(v.name())) continue;
            CalicoConfig c = CalicoConfig.calicoTiny().withCem(v.cem()).withCamLayers(v.cams());
            long steps0;
            try (CalicoModel m = new CalicoModel(c, CalicoCheckpoint.tokenizer(c.tokenizer(), null), DType.F32, Dev.CPU)) {
                m.initRandom(seed);
                TrainConfig tc = new TrainConfig(steps, batch, lr, Math.min(100, steps / 10), 1.0, 1.0, 2.0, 0.5, false, true, seed, 0, 0, 0, minutes,
                        workers != null ? workers : Math.min(batch, Runtime.getRuntime().availableProcessors()));
                System.out.println("== " + v.name() + ": " + c);
                try (Trainer t = new Trainer(m, tc, tr, null, System.out)) {
                    t.run(out.resolve(v.name().replaceAll("[^A-Za-z0-9]+", "_")));
                    steps0 = t.step();
                }
                EvalResult r = Trainer.evaluate(m, te.baseDir(), tests, null);
                results.put(v.name(), r);
                var o = r.overall();
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n", v.name(), v.cem() ? "yes" : "no",
                        java.util.Arrays.toString(v.cams()), steps0, o.miou(), o.ap50(), o.recall(), o.semanticSimilarity(), o.semanticIou()));
                Files.writeString(out.resolve("ablation.md"), md.toString());
                System.out.print(md);
            }
        }
        new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.resolve("ablation.json").toFile(), results);
        System.out.println("wrote " + out.resolve("ablation.md"));
        return 0;
    }
}
