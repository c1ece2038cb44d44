package org.calico.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void greedyMatchTakesFirstMaximumAndStopsAtZero() {
        // ties: (0,1) comes before (1,0) in row-major order
        List<Metrics.Match> m = Metrics.greedyMatch(new double[][] {{0.2, 0.9}, {0.9, 0.1}, {0, 0}});
        assertEquals(2, m.size());
        assertEquals(new Metrics.Match(0, 1, 0.9), m.get(0));
        assertEquals(new Metrics.Match(1, 0, 0.9), m.get(1));
        assertEquals((0.9 + 0.9) / 2, Metrics.imageMiou(new double[][] {{0.2, 0.9}, {0.9, 0.1}, {0, 0}}), 1e-15);
        assertEquals(0.0, Metrics.imageMiou(new double[][] {{0, 0}}));
        assertEquals(0.0, Metrics.imageMiou(new double[0][0]));
        // greedy, not optimal: 0.8 first leaves 0.1 (Hungarian would take 0.7 + 0.7)
        assertEquals((0.8 + 0.1) / 2, Metrics.imageMiou(new double[][] {{0.8, 0.7}, {0.7, 0.1}}), 1e-15);
    }

    @Test
    void recallLoopStopsAtFirstFailingMaximum() {
        double[][] iou = {{0.9, 0.6}, {0.6, 0.55}};
        double[][] sim = {{0.3, 0.9}, {0.9, 0.9}};
        // argmax (0,0) has IoU .9 but text .3 -> stop, even though (0,1) and (1,0) would pass
        assertEquals(0, Metrics.recallMatches(iou, sim, 0.5, 0.5).size());
        double[][] sim2 = {{0.8, 0.9}, {0.9, 0.9}};
        List<Metrics.Match> m = Metrics.recallMatches(iou, sim2, 0.5, 0.5);
        assertEquals(2, m.size()); // (0,0) then (1,1) with IoU .55
        assertEquals(1, m.get(1).row());
        assertEquals(1, m.get(1).col());
        assertEquals(1, Metrics.recallMatches(new double[][] {{0.5}, {0.49}}, new double[][] {{0.5}, {1}}, 0.5, 0.5).size());
    }

    @Test
    void casedNormalisation() {
        assertEquals(Set.of("trashcan"), Metrics.words("trash_can"));
        assertEquals(Set.of("chairs", "leg"), Metrics.words("chair's leg"));
        assertEquals(Set.of("the", "seat"), Metrics.words("  The   SEAT. "));
        assertEquals(0.5, Metrics.semanticIou("leg of the chair", "chair leg"), 1e-15);
        assertEquals(1.0, Metrics.semanticIou("The seat", "the seat!"), 1e-15);
        assertEquals(0.0, Metrics.semanticIou("knob", "handle"), 1e-15);
        assertTrue(Double.isNaN(Metrics.semanticIou("...", "--")));
    }
}
