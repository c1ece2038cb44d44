package org.calico.data;

import java.util.List;

/** A model's output for one sample (one JSONL line of a prediction file): the answer text and its segments in order. */
public record Prediction(String id, String answer, List<PredictedSegment> segments) {
    public Prediction {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("prediction id is missing");
        segments = segments == null ? List.of() : List.copyOf(segments);
        if (answer == null) answer = "";
    }
}
