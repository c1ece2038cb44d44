package org.calico.eval;

/**
 * The choices the paper leaves open (data-and-metrics.md §4.5), with the documented defaults of
 * {@link #defaults()}. Immutable; use the {@code with*} methods.
 *
 * @param unit             the matching unit of mIoU and Recall: {@code IMAGE} (default) = one (sample, image index),
 *                         as GLaMM scores one image; {@code SAMPLE} = the whole sample, masks on different images
 *                         have IoU 0
 * @param apUseScores      AP50 with the predicted scores; default false = every score 1.0 as GLaMM (ties keep input
 *                         order: units in sample order, segments in prediction order)
 * @param recallIou        Recall's IoU threshold (0.5)
 * @param recallText       Recall's text-similarity threshold (0.5)
 * @param unmatchedText    how a GT segment without an IoU match counts in SS and S-IoU: {@code ZERO} (default) or
 *                         {@code EXCLUDE}
 * @param missing          a sample without a prediction: {@code EMPTY} (default: no segments; warned) or {@code ERROR}
 * @param lowTailBins      number of frequency bins (equal numbers of object-part categories) of the low-tail plot
 */
public record EvalOptions(Unit unit, boolean apUseScores, double recallIou, double recallText, UnmatchedText unmatchedText,
                          Missing missing, int lowTailBins) {
    public enum Unit { IMAGE, SAMPLE }

    public enum UnmatchedText { ZERO, EXCLUDE }

    public enum Missing { EMPTY, ERROR }

    public EvalOptions {
        if (unit == null || unmatchedText == null || missing == null) throw new IllegalArgumentException("evaluation options must not be null");
        if (lowTailBins < 1) throw new IllegalArgumentException("low-tail bins must be >= 1, got " + lowTailBins);
    }

    public static EvalOptions defaults() {
        return new EvalOptions(Unit.IMAGE, false, 0.5, 0.5, UnmatchedText.ZERO, Missing.EMPTY, 5);
    }

    public EvalOptions withUnit(Unit u) { return new EvalOptions(u, apUseScores, recallIou, recallText, unmatchedText, missing, lowTailBins); }

    public EvalOptions withApUseScores(boolean b) { return new EvalOptions(unit, b, recallIou, recallText, unmatchedText, missing, lowTailBins); }

    public EvalOptions withUnmatchedText(UnmatchedText u) { return new EvalOptions(unit, apUseScores, recallIou, recallText, u, missing, lowTailBins); }

    public EvalOptions withMissing(Missing m) { return new EvalOptions(unit, apUseScores, recallIou, recallText, unmatchedText, m, lowTailBins); }

    public EvalOptions withLowTailBins(int b) { return new EvalOptions(unit, apUseScores, recallIou, recallText, unmatchedText, missing, b); }

    public EvalOptions withRecallThresholds(double iou, double text) { return new EvalOptions(unit, apUseScores, iou, text, unmatchedText, missing, lowTailBins); }
}
