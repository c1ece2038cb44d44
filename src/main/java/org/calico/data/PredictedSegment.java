package org.calico.data;

import org.calico.mask.CocoRle;

/**
 * One predicted grounded phrase: phrase, 0-based image index ({@code (IMAGE<image+1>)} in the answer), compressed
 * RLE mask at the image's full size, and a confidence score (the evaluator's default AP ignores it and uses 1.0, as
 * GLaMM does).
 */
public record PredictedSegment(String phrase, int image, CocoRle mask, Double score) {
    public PredictedSegment {
        if (phrase == null) phrase = "";
        if (mask == null) throw new IllegalArgumentException("predicted segment '" + phrase + "' has no mask");
        if (score == null) score = 1.0;
    }
}
