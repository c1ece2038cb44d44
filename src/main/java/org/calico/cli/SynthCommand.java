package org.calico.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.calico.data.DatasetStats;
import org.calico.data.Sample;
import org.calico.api.Task;
import org.calico.data.synth.SynthGenerator;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Generates synthetic part-objects (chair/stool/table, lamp/sign, bird/airplane, mug/bottle/kettle, car/cart)",
                "in the MixedParts sample format: <out>/<split>.jsonl, images/<split>/*.png, categories.json, dataset.json, stats.json/.md.",
                "Deterministic in (--seed, --split, index); different splits never share images or ids."})
public final class SynthCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "output dataset directory (created; the split's files are overwritten)")
    Path out;

    @Option(names = "--pairs", required = true, description = "number of samples (image pairs) to generate")
    int pairs;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--split", defaultValue = "train", description = "split name: train, val or test (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--size", defaultValue = "128", description = "image size in pixels, square (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--images", defaultValue = "2", description = "images per sample, 2..8 (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--distractor-prob", defaultValue = "0.3",
            description = "probability that a common-object image also shows an object of another family (default: ${DEFAULT-VALUE})")
    double distractorProb;

    @Option(names = "--same-category-parts", defaultValue = "0.2",
            description = "probability that a common-parts sample shows one category in every image (default: ${DEFAULT-VALUE})")
    double sameCategoryParts;

    @Option(names = "--tasks", split = ",", description = "tasks to generate, round-robin (default: common-object,common-parts,unique-parts)")
    List<String> tasks;

    @Option(names = "--random-colours", description = "colour every part at random (default: each category's main part has a "
            + "category-typical hue, saturation/value/texture still varying)")
    boolean randomColours;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override public Integer call() {
        List<Task> ts = new ArrayList<>();
        if (tasks == null) ts.addAll(List.of(Task.values()));
        else for (String t : tasks) ts.add(Task.parse(t.trim()));
        SynthGenerator.Options o = SynthGenerator.Options.defaults().withSize(size);
        o = new SynthGenerator.Options(o.size(), images, distractorProb, sameCategoryParts, ts, o.minPartPixels(), !randomColours);
        long t0 = System.nanoTime();
        List<Sample> s = new SynthGenerator(o).generateSplit(out, split, pairs, seed, !noProgress);
        System.err.printf("synth: %d samples (%s) in %.1f s -> %s%n", s.size(), split, (System.nanoTime() - t0) / 1e9, out.resolve(split + ".jsonl"));
        System.out.print(DatasetStats.ofDirectory(out).markdown());
        return 0;
    }
}
