package org.calico.eval;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The evaluator's output: metrics per task and overall (percentages, like the paper's Tables 1 and 5), the low-tail
 * analysis and warnings. Immutable.
 */
public record EvalResult(Map<String, Object> options, Scores overall, Map<String, Scores> tasks, LowTail lowTail, List<String> warnings) {
    public EvalResult {
        options = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(options));
        tasks = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tasks));
        warnings = List.copyOf(warnings);
    }

    /**
     * One row: mIoU, AP50, Recall, Semantic Similarity and Semantic IoU in percent (NaN when undefined, e.g. no GT),
     * and the counts behind them.
     */
    public record Scores(double miou, double ap50, double recall, @JsonProperty("semantic_similarity") double semanticSimilarity,
                         @JsonProperty("semantic_iou") double semanticIou, int samples, @JsonProperty("miou_units") int miouUnits,
                         @JsonProperty("gt_segments") int gtSegments, @JsonProperty("pred_segments") int predSegments,
                         @JsonProperty("true_positives") int truePositives) {}

    /** Recall of part segments against the training frequency of their object-part category. */
    public record LowTail(@JsonProperty("frequency_source") String frequencySource, List<Bin> bins, List<Category> categories) {
        public LowTail {
            bins = List.copyOf(bins);
            categories = List.copyOf(categories);
        }
    }

    /** A bin of object-part categories with training frequency in [minFrequency, maxFrequency]. */
    public record Bin(@JsonProperty("min_frequency") int minFrequency, @JsonProperty("max_frequency") int maxFrequency,
                      int categories, @JsonProperty("gt_segments") int gtSegments, @JsonProperty("true_positives") int truePositives,
                      double recall) {}

    /** One object-part category ("chair:legs"). */
    public record Category(String name, int frequency, @JsonProperty("gt_segments") int gtSegments,
                           @JsonProperty("true_positives") int truePositives, double recall) {}
}
