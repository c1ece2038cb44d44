package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.calico.api.CoSegmenter;
import org.calico.data.DatasetDir;
import org.calico.data.Jsonl;
import org.calico.data.Prediction;
import org.calico.data.Progress;
import org.calico.data.Sample;
import org.calico.model.SamplePredictor;
import org.calico.tensor.DType;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Run the model over a MixedParts-format dataset (all three tasks), batched, with a progress bar, writing "
                + "predictions as JSONL for ./calico eval --pred. Resumable: samples already in the output file are skipped.")
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "tiny", description = "'tiny' or a CALICO checkpoint directory") String model;
    @Option(names = "--data", required = true, description = "dataset directory or .jsonl file") Path data;
    @Option(names = "--split", defaultValue = "test") String split;
    @Option(names = "--out", required = true, description = "predictions .jsonl (appended to when it exists)") Path out;
    @Option(names = "--batch", defaultValue = "8", description = "requests per batched generation") int batch;
    @Option(names = "--limit", defaultValue = "0", description = "only the first N samples (0 = all)") int limit;
    @Option(names = "--dtype", defaultValue = "f32") String dtype;
    @Option(names = "--threads", description = "threads (default 1 for the tiny model)") Integer threads;
    @Option(names = "--no-progress") boolean noProgress;

    @Override public Integer call() {
        DatasetDir.Loaded d = DatasetDir.load(data, split);
        List<Sample> all = d.samples();
        if (limit > 0 && limit < all.size()) all = all.subList(0, limit);
        Set<String> done = new HashSet<>();
        if (Files.isRegularFile(out)) for (Prediction p : Jsonl.readPredictions(out)) done.add(p.id());
        List<Sample> todo = new ArrayList<>();
        for (Sample s : all) if (!done.contains(s.id())) todo.add(s);
        System.out.println(all.size() + " samples, " + done.size() + " already predicted, " + todo.size() + " to go -> " + out);
        int th = threads != null ? threads : (model.equals("tiny") ? 1 : Runtime.getRuntime().availableProcessors());
        try (CoSegmenter seg = CoSegmenter.builder().model(model).dtype(DType.parse(dtype)).threads(th).build();
             Jsonl.Writer w = new Jsonl.Writer(out, true);
             Progress bar = new Progress("predict", todo.size(), !noProgress)) {
            SamplePredictor p = new SamplePredictor(seg, d.baseDir());
            for (int i = 0; i < todo.size(); i += batch) {
                List<Sample> b = todo.subList(i, Math.min(todo.size(), i + batch));
                for (Prediction pr : p.predict(b)) w.write(pr);
                bar.advance(b.size());
            }
        }
        return 0;
    }
}
