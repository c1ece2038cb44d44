package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.calico.data.MixedPartsBuilder;
import org.calico.data.Task;
import org.calico.data.source.Ade20kPart234Reader;
import org.calico.data.source.MixedPartsCocoReader;
import org.calico.data.source.PacoLvisReader;
import org.calico.data.source.PartImageNetReader;
import org.calico.data.source.SourceSet;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "build-dataset", mixinStandardHelpOptions = true,
        description = {"Builds MixedParts samples (common object, common parts, unique parts) from PACO-LVIS, PartImageNet,",
                "ADE20K-Part-234 and/or the released MixedParts COCO files. Writes <out>/<split>.jsonl, categories.json, dataset.json",
                "and stats.json/stats.md (see docs/mixedparts-format.md, docs/data.md)."})
public final class BuildDatasetCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "output dataset directory")
    Path out;

    @Option(names = "--paco-lvis", description = "folder with paco_lvis_v1_{train,val,test}.json")
    Path paco;

    @Option(names = "--coco-root", description = "COCO image root that PACO file_name values (train2017/...) are relative to")
    Path cocoRoot;

    @Option(names = "--partimagenet", description = "PartImageNet_Seg root (annotations/<split>/<split>.json, images/<split>/)")
    Path partImageNet;

    @Option(names = "--synsets", description = "synset table for PartImageNet (LOC_synset_mapping.txt format: '<wnid> <name>, <synonyms>')")
    Path synsets;

    @Option(names = "--ade20k", description = "ADE20K-Part-234 root (ade20k_instance_{train,val}.json, images/, annotations_detectron2_part/)")
    Path ade;

    @Option(names = "--mixedparts", split = ",", description = "MixedParts COCO-style JSON files (split from the file name: train/val/test)")
    List<Path> mixedParts;

    @Option(names = "--mixedparts-images", description = "image root of the --mixedparts files' file_name values")
    Path mixedPartsImages;

    @Option(names = "--pairs", description = "pair list file ('A | B' per line, '@Supercategory' allowed); default: the built-in curated list")
    Path pairs;

    @Option(names = "--auto-pairs", description = "use every two categories that share a part name instead of a list")
    boolean autoPairs;

    @Option(names = "--per-pair", defaultValue = "4", description = "samples per comparable pair, per split and parts task (default: ${DEFAULT-VALUE})")
    int perPair;

    @Option(names = "--per-category", defaultValue = "4", description = "common-object samples per category and split (default: ${DEFAULT-VALUE})")
    int perCategory;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--tasks", split = ",", description = "tasks (default: common-object,common-parts,unique-parts)")
    List<String> tasks;

    @Option(names = "--max-instances", defaultValue = "1", description = "skip images showing the category more often (default: ${DEFAULT-VALUE})")
    int maxInstances;

    @Option(names = "--min-part-pixels", defaultValue = "64", description = "drop smaller part masks (default: ${DEFAULT-VALUE})")
    int minPartPixels;

    @Option(names = "--min-object-pixels", defaultValue = "256", description = "skip smaller objects (default: ${DEFAULT-VALUE})")
    int minObjectPixels;

    @Option(names = "--copy-images", description = "copy the used images into <out>/images/ (default: paths relative to <out>)")
    boolean copyImages;

    @Option(names = "--no-check-images", description = "do not check that image files exist")
    boolean noCheck;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override public Integer call() {
        List<SourceSet> sets = new ArrayList<>();
        if (paco != null) {
            if (cocoRoot == null) throw new IllegalArgumentException("--paco-lvis needs --coco-root (the folder that holds train2017/ and val2017/)");
            int n = 0;
            for (String split : List.of("train", "val", "test")) {
                Path f = paco.resolve("paco_lvis_v1_" + split + ".json");
                if (Files.isRegularFile(f)) {
                    sets.add(PacoLvisReader.read(f, cocoRoot, split));
                    n++;
                }
            }
            if (n == 0) throw new IllegalArgumentException("no paco_lvis_v1_{train,val,test}.json in " + paco);
        }
        if (partImageNet != null) {
            if (synsets == null) throw new IllegalArgumentException("--partimagenet needs --synsets (e.g. ImageNet's LOC_synset_mapping.txt)");
            Map<String, String> syn = PartImageNetReader.readSynsets(synsets);
            int n = 0;
            for (String split : List.of("train", "val", "test")) {
                Path f = partImageNet.resolve("annotations").resolve(split).resolve(split + ".json");
                if (Files.isRegularFile(f)) {
                    sets.add(PartImageNetReader.read(f, partImageNet.resolve("images").resolve(split), syn, split));
                    n++;
                }
            }
            if (n == 0) throw new IllegalArgumentException("no annotations/<split>/<split>.json in " + partImageNet);
        }
        if (ade != null) {
            int n = 0;
            for (String[] s : List.of(new String[] {"train", "training"}, new String[] {"val", "validation"})) {
                Path f = ade.resolve("ade20k_instance_" + s[0] + ".json");
                if (Files.isRegularFile(f)) {
                    sets.add(Ade20kPart234Reader.read(f, ade.resolve("images").resolve(s[1]), ade.resolve("annotations_detectron2_part").resolve(s[1]), s[0]));
                    n++;
                }
            }
            if (n == 0) throw new IllegalArgumentException("no ade20k_instance_{train,val}.json in " + ade);
        }
        if (mixedParts != null) {
            if (mixedPartsImages == null) throw new IllegalArgumentException("--mixedparts needs --mixedparts-images");
            for (Path f : mixedParts) {
                String name = f.getFileName().toString();
                String split = name.contains("train") ? "train" : name.contains("val") ? "val" : name.contains("test") ? "test" : null;
                if (split == null) throw new IllegalArgumentException("cannot tell the split of " + f + " (its name has no train/val/test)");
                sets.add(MixedPartsCocoReader.read(f, mixedPartsImages, split, "mixedparts"));
            }
        }
        if (sets.isEmpty()) throw new IllegalArgumentException("no source given: use --paco-lvis, --partimagenet, --ade20k and/or --mixedparts");
        List<Task> ts = new ArrayList<>();
        if (tasks == null) ts.addAll(List.of(Task.values()));
        else for (String t : tasks) ts.add(Task.of(t.trim()));
        MixedPartsBuilder.Options o = new MixedPartsBuilder.Options(seed, perPair, perCategory, maxInstances, minPartPixels, minObjectPixels, ts, copyImages, !noCheck);
        List<MixedPartsBuilder.PairSpec> ps = autoPairs ? null : pairs != null ? MixedPartsBuilder.readPairs(pairs) : MixedPartsBuilder.defaultPairs();
        MixedPartsBuilder.Result r = new MixedPartsBuilder(o).build(sets.size() == 1 ? sets.get(0) : SourceSet.concat(sets), ps, out, !noProgress);
        for (String w : r.warnings()) System.err.println("warning: " + w);
        System.err.printf("build-dataset: %d samples, %d comparable pairs used, %d pair entries dropped (see %s)%n", r.samples().size(), r.pairs().size(),
                r.droppedPairs().size(), out.resolve("dataset.json"));
        System.out.print(org.calico.data.DatasetStats.of(r.samples()).markdown());
        return 0;
    }
}
