package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import org.calico.data.DatasetDir;
import org.calico.data.Jsonl;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.eval.EvalOptions;
import org.calico.eval.EvalReport;
import org.calico.eval.EvalResult;
import org.calico.eval.MixedPartsEvaluator;
import org.calico.eval.text.MiniLmEncoder;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates predictions on MixedParts samples: mIoU, AP50, Recall, Semantic Similarity, Semantic IoU",
                "per task and overall (percent), plus the low-tail analysis. Writes metrics.json, metrics.md and low-tail.png."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--pred", required = true, description = "predictions JSONL: {id, answer, segments: [{phrase, image, mask, score}]}")
    Path pred;

    @Option(names = "--data", required = true, description = "dataset directory (reads <split>.jsonl) or a samples .jsonl file")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "split read from a dataset directory (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--unit", defaultValue = "image", description = "matching unit of mIoU/Recall: image (per sample and image, GLaMM) or sample (default: ${DEFAULT-VALUE})")
    String unit;

    @Option(names = "--ap-scores", defaultValue = "ones", description = "AP50 scores: ones (GLaMM: every score 1.0, ties in input order) or predicted (default: ${DEFAULT-VALUE})")
    String apScores;

    @Option(names = "--unmatched-text", defaultValue = "zero", description = "GT without an IoU match in SS/S-IoU: zero or exclude (default: ${DEFAULT-VALUE})")
    String unmatched;

    @Option(names = "--missing", defaultValue = "empty", description = "sample without prediction: empty (warned) or error (default: ${DEFAULT-VALUE})")
    String missing;

    @Option(names = "--text-model", defaultValue = "minilm", description = "Recall/SS text model: minilm (all-MiniLM-L6-v2, bundled) (default: ${DEFAULT-VALUE})")
    String textModel;

    @Option(names = "--recall-iou", defaultValue = "0.5", description = "Recall's IoU threshold (default: ${DEFAULT-VALUE})")
    double recallIou;

    @Option(names = "--recall-text", defaultValue = "0.5", description = "Recall's text-similarity threshold (default: ${DEFAULT-VALUE})")
    double recallText;

    @Option(names = "--freq", description = "object-part frequencies for the low-tail plot: a dataset directory (its train split) or a samples .jsonl "
            + "(default: <data>/train when --data is a directory with a train split, else the evaluated samples)")
    Path freq;

    @Option(names = "--bins", defaultValue = "5", description = "low-tail frequency bins (default: ${DEFAULT-VALUE})")
    int bins;

    @Override public Integer call() {
        // ONNX/DJL bring slf4j-api without a binding; keep its "no providers" notice off the CLI's stderr
        if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
        if (!textModel.equals("minilm"))
            throw new IllegalArgumentException("--text-model " + textModel + " is not available: only minilm (all-MiniLM-L6-v2) is bundled; "
                    + "GLaMM's bert-base-uncased would need an ONNX export that this build does not ship");
        EvalOptions o = EvalOptions.defaults()
                .withUnit(EvalOptions.Unit.valueOf(choice(unit, "--unit", "image", "sample")))
                .withApUseScores(choice(apScores, "--ap-scores", "ones", "predicted").equals("PREDICTED"))
                .withUnmatchedText(EvalOptions.UnmatchedText.valueOf(choice(unmatched, "--unmatched-text", "zero", "exclude")))
                .withMissing(EvalOptions.Missing.valueOf(choice(missing, "--missing", "empty", "error")))
                .withLowTailBins(bins)
                .withRecallThresholds(recallIou, recallText);
        DatasetDir.Loaded d = DatasetDir.load(data, split);
        List<Prediction> preds = Jsonl.readPredictions(pred);
        Map<String, Integer> f = null;
        String fsrc = null;
        Path fpath = freq;
        if (fpath == null && Files.isDirectory(data) && !split.equals("train") && Files.isRegularFile(data.resolve("train.jsonl"))) fpath = data;
        if (fpath != null) {
            f = frequencies(fpath);
            fsrc = "train split of " + fpath;
        }
        EvalResult r = new MixedPartsEvaluator(o, new MiniLmEncoder()).evaluate(d.samples(), preds, f, fsrc);
        EvalReport.write(r, out);
        System.out.print(EvalReport.markdown(r));
        return 0;
    }

    private static String choice(String v, String opt, String... allowed) {
        for (String a : allowed) if (a.equalsIgnoreCase(v)) return a.toUpperCase(Locale.ROOT);
        throw new IllegalArgumentException(opt + " must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }

    /** "object:part" -> count from a dataset directory's stats.json (train) or train.jsonl, or from a samples file. */
    static Map<String, Integer> frequencies(Path p) {
        Map<String, Integer> out = new TreeMap<>();
        if (Files.isDirectory(p)) {
            Path stats = p.resolve("stats.json");
            if (Files.isRegularFile(stats)) {
                try {
                    JsonNode counts = Jsonl.MAPPER.readTree(stats.toFile()).path("object_part_counts").path("train");
                    if (counts.isObject() && counts.size() > 0) {
                        counts.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asInt()));
                        return out;
                    }
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("cannot read " + stats + ": " + e.getMessage(), e);
                }
            }
            p = p.resolve("train.jsonl");
        }
        for (Sample s : Jsonl.readSamples(p)) for (Segment g : s.segments()) if (g.isPart()) out.merge(g.categoryKey(), 1, Integer::sum);
        return out;
    }
}
