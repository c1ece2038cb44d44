package org.calico.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.nn.Module;
import org.calico.nn.Param;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** Losses, AdamW and clipping against PyTorch values from scripts/make_train_fixtures.py. */
class TrainingMathTest {
    static SafeTensorsFile ref() {
        try {
            return SafeTensorsFile.open(Path.of(TrainingMathTest.class.getResource("/train/train_ref.safetensors").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class P extends Module {
        final Param a, b;

        P(long[] sa, long[] sb) {
            a = param("a", sa);
            b = param("b", sb);
        }
    }

    @Test
    void maskLossesMatchPyTorch() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile r = ref()) {
            Tensor lg = r.load("mask.logits"), tg = r.load("mask.targets");
            assertEquals(T.toFloats(r.load("mask.focal"))[0], T.item(Losses.sigmoidFocal(lg, tg)), 1e-6);
            assertEquals(T.toFloats(r.load("mask.dice"))[0], T.item(Losses.dice(lg, tg)), 1e-6);
            assertEquals(T.toFloats(r.load("mask.bce"))[0], T.item(Losses.sigmoidBce(lg, tg)), 1e-6);
            assertEquals(T.toFloats(r.load("ce.loss"))[0], T.item(Losses.causalLmCrossEntropy(r.load("ce.logits"), r.load("ce.labels"))), 1e-6);
        }
    }

    @Test
    void adamWMatchesTorchOptimAdamW() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile r = ref(); P m = new P(new long[] {5, 3}, new long[] {1})) {
            m.initRandom(0);
            try (NoGradGuard g = new NoGradGuard()) {
                m.a.t().copy_(r.load("adamw.p0"));
            }
            m.setTrainable(k -> k.equals("a"));
            Map<String, Param> tp = m.trainableParams();
            try (AdamW opt = new AdamW(tp, 0.9, 0.95, 1e-8, 0.01)) {
                for (int i = 0; i < 3; i++) {
                    T.setGrad(m.a.t(), r.load("adamw.g" + i));
                    opt.step(3e-4);
                    double d = T.maxAbsDiff(m.a.t(), r.load("adamw.p" + (i + 1)));
                    assertTrue(d < 1e-7, "step " + (i + 1) + " diff " + d);
                }
                assertTrue(T.maxAbsDiff(opt.state().get("exp_avg.a"), r.load("adamw.exp_avg")) < 1e-7);
                assertTrue(T.maxAbsDiff(opt.state().get("exp_avg_sq.a"), r.load("adamw.exp_avg_sq")) < 1e-7);
                assertEquals(3, opt.stepCount());
            }
        }
    }

    @Test
    void gradClipMatchesClipGradNorm() {
        try (PointerScope s = new PointerScope(); SafeTensorsFile r = ref(); P m = new P(new long[] {4, 4}, new long[] {7})) {
            m.initRandom(1);
            m.setTrainable(k -> true);
            T.setGrad(m.a.t(), r.load("clip.ga"));
            T.setGrad(m.b.t(), r.load("clip.gb"));
            double total = GradClip.clip(List.of(m.a, m.b), 1.0);
            assertEquals(T.toFloats(r.load("clip.total"))[0], total, 1e-4);
            assertTrue(T.maxAbsDiff(m.a.t().grad(), r.load("clip.ga_after")) < 1e-6);
            assertTrue(T.maxAbsDiff(m.b.t().grad(), r.load("clip.gb_after")) < 1e-6);
        }
    }

    @Test
    void scheduleWarmsUpAndDecays() {
        LrSchedule lin = new LrSchedule(3e-4, 100, 5000, 0, false);
        assertEquals(3e-6, lin.at(0), 1e-12);
        assertEquals(3e-4, lin.at(99), 1e-12);
        assertEquals(3e-4, lin.at(100), 1e-12);
        assertEquals(1.5e-4, lin.at(2550), 1e-12);
        assertEquals(0, lin.at(5000), 1e-12);
        LrSchedule log = new LrSchedule(3e-4, 100, 5000, 0, true);
        assertEquals(0, log.at(0), 1e-12);
        assertEquals(3e-4 * Math.log(50) / Math.log(100), log.at(49), 1e-12);
    }
}
