package org.calico.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The per-unit building blocks of the CALICO metrics, as in GLaMM's {@code eval/gcg/evaluate.py} and CaSED's
 * {@code SentenceIOU}.
 */
public final class Metrics {
    private Metrics() {}

    /** A matched (row, column) pair with its IoU. */
    public record Match(int row, int col, double iou) {}

    /**
     * GLaMM {@code compute_miou}'s greedy matching on a rows x cols IoU matrix: repeatedly take the maximum (first in
     * row-major order on ties) while it is &gt; 0, then delete its row and column.
     */
    public static List<Match> greedyMatch(double[][] iou) {
        int R = iou.length, C = R == 0 ? 0 : iou[0].length;
        boolean[] rowUsed = new boolean[R], colUsed = new boolean[C];
        List<Match> out = new ArrayList<>();
        while (true) {
            double best = Double.NEGATIVE_INFINITY;
            int bi = -1, bj = -1;
            for (int i = 0; i < R; i++) {
                if (rowUsed[i]) continue;
                for (int j = 0; j < C; j++) {
                    if (colUsed[j]) continue;
                    if (iou[i][j] > best) {
                        best = iou[i][j];
                        bi = i;
                        bj = j;
                    }
                }
            }
            if (bi < 0 || !(best > 0)) break;
            out.add(new Match(bi, bj, best));
            rowUsed[bi] = true;
            colUsed[bj] = true;
        }
        return out;
    }

    /** GLaMM per-image mIoU: mean of the greedy matches' IoUs, 0 if none. {@code iou} is preds x gts. */
    public static double imageMiou(double[][] iou) {
        List<Match> m = greedyMatch(iou);
        if (m.isEmpty()) return 0;
        double s = 0;
        for (Match x : m) s += x.iou();
        return s / m.size();
    }

    /**
     * GLaMM {@code find_best_matches}: on gts x preds matrices take the argmax IoU (first in row-major order); stop
     * at the first pair with IoU &lt; {@code iouThr} or text similarity &lt; {@code textThr}; otherwise record it and
     * zero its row and column in both matrices. Returns (gt, pred) matches.
     */
    public static List<Match> recallMatches(double[][] iouGp, double[][] textGp, double iouThr, double textThr) {
        int G = iouGp.length, P = G == 0 ? 0 : iouGp[0].length;
        List<Match> out = new ArrayList<>();
        if (G == 0 || P == 0) return out;
        double[][] ious = new double[G][], sims = new double[G][];
        for (int i = 0; i < G; i++) {
            ious[i] = iouGp[i].clone();
            sims[i] = textGp[i].clone();
        }
        while (true) {
            int bi = 0, bj = 0;
            double best = ious[0][0];
            for (int i = 0; i < G; i++)
                for (int j = 0; j < P; j++)
                    if (ious[i][j] > best) { // np.argmax: first maximum
                        best = ious[i][j];
                        bi = i;
                        bj = j;
                    }
            if (best < iouThr || sims[bi][bj] < textThr) break;
            out.add(new Match(bi, bj, best));
            for (int j = 0; j < P; j++) {
                ious[bi][j] = 0;
                sims[bi][j] = 0;
            }
            for (int i = 0; i < G; i++) {
                ious[i][bj] = 0;
                sims[i][bj] = 0;
            }
        }
        return out;
    }

    /** CaSED's normalisation: keep characters that are letters/digits or a space, lower-case, split on whitespace. */
    public static Set<String> words(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == ' ') sb.appendCodePoint(c);
        });
        String norm = sb.toString().toLowerCase(java.util.Locale.ROOT).trim();
        return norm.isEmpty() ? Set.of() : new HashSet<>(Arrays.asList(norm.split("\\s+")));
    }

    /** CaSED Semantic IoU of two strings: |A ∩ B| / |A ∪ B| of their word sets; NaN when both are empty. */
    public static double semanticIou(String pred, String target) {
        Set<String> a = words(pred), b = words(target);
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        if (union.isEmpty()) return Double.NaN;
        Set<String> inter = new HashSet<>(a);
        inter.retainAll(b);
        return (double) inter.size() / union.size();
    }
}
