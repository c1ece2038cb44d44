package org.calico.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.calico.data.DatasetDir;
import org.calico.data.synth.SynthGenerator;
import org.calico.io.CheckpointException;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoConfig;
import org.calico.model.CalicoModel;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.WordTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir static Path data;
    static DatasetDir.Loaded train;
    static int threads;

    @BeforeAll
    static void synth() {
        threads = CalicoRuntime.threads();
        CalicoRuntime.setThreads(1); // bit-exact comparisons: one thread, deterministic reductions
        new SynthGenerator(SynthGenerator.Options.defaults()).generateSplit(data, "train", 8, 5, false);
        train = DatasetDir.load(data, "train");
    }

    @AfterAll
    static void restore() { CalicoRuntime.setThreads(threads); }

    static CalicoModel fresh() {
        CalicoModel m = new CalicoModel(CalicoConfig.calicoTiny(), WordTokenizer.tinyDefault(), DType.F32, Dev.CPU);
        m.initRandom(1);
        return m;
    }

    static TrainConfig cfg(int steps) {
        return new TrainConfig(steps, 2, 1e-3, 1, 1.0, 1.0, 2.0, 0.5, false, true, 9, 0, 4, 0, 0);
    }

    static PrintStream sink() { return new PrintStream(new ByteArrayOutputStream()); }

    @Test
    void lossDecreasesOnAFixedBatch() {
        try (CalicoModel m = fresh(); Trainer t = new Trainer(m, cfg(12), new DatasetDir.Loaded(train.baseDir(), train.file(),
                train.samples().subList(0, 2)), null, sink())) {
            t.run(null);
            List<Map<String, Object>> h = t.history();
            double first = (double) h.get(0).get("loss"), last = (double) h.get(h.size() - 1).get("loss");
            assertEquals(12, h.size());
            assertTrue(last < 0.6 * first, "loss " + first + " -> " + last);
        }
    }

    @Test
    void resumeContinuesBitForBit(@TempDir Path out) {
        Map<String, Tensor> straight;
        try (CalicoModel a = fresh(); Trainer t = new Trainer(a, cfg(4), train, null, sink())) {
            t.run(null);
            straight = new java.util.LinkedHashMap<>();
            for (var e : a.stateDict().entrySet()) straight.put(e.getKey(), T.keep(e.getValue().clone()));
        }
        try (CalicoModel c = fresh(); Trainer half = new Trainer(c, new TrainConfig(4, 2, 1e-3, 1, 1.0, 1.0, 2.0, 0.5, false, true, 9, 0, 4, 0, 0.0),
                train, null, sink())) {
            half.runUntil(2, null); // the first half of the same 4-step run
            half.save(out.resolve("half"));
        }
        try (CalicoModel d = fresh(); Trainer t = new Trainer(d, cfg(4), train, null, sink())) {
            t.resume(out.resolve("half"));
            assertEquals(2, t.step());
            t.run(null);
            for (var e : d.stateDict().entrySet())
                assertEquals(0.0, T.maxAbsDiff(e.getValue(), straight.get(e.getKey())), "weight " + e.getKey() + " differs after resume");
        } finally {
            straight.values().forEach(T::release);
        }
        // a resume with another seed would not continue the same run: refused
        try (CalicoModel e = fresh(); Trainer t = new Trainer(e, new TrainConfig(4, 2, 1e-3, 1, 1.0, 1.0, 2.0, 0.5, false, true, 10, 0, 4, 0, 0),
                train, null, sink())) {
            CheckpointException ex = assertThrows(CheckpointException.class, () -> t.resume(out.resolve("half")));
            assertTrue(ex.getMessage().contains("seed"), ex.getMessage());
        }
        // the saved directory is a loadable model
        try (CalicoModel l = CalicoCheckpoint.load(out.resolve("half").toString(), DType.F32, Dev.CPU)) {
            assertTrue(l.isReady());
        }
    }

    @Test
    void workersAreBitIdenticalToOneWorker() {
        Map<String, Tensor> one = new java.util.LinkedHashMap<>();
        List<Map<String, Object>> h1;
        TrainConfig c = new TrainConfig(3, 4, 1e-3, 1, 1.0, 1.0, 2.0, 0.5, false, true, 9, 0, 4, 0, 0);
        try (CalicoModel a = fresh(); Trainer t = new Trainer(a, c, train, null, sink())) {
            t.run(null);
            h1 = t.history();
            for (var e : a.stateDict().entrySet()) one.put(e.getKey(), T.keep(e.getValue().clone()));
        }
        try (CalicoModel b = fresh(); Trainer t = new Trainer(b, c.withWorkers(3), train, null, sink())) {
            t.run(null);
            for (int i = 0; i < h1.size(); i++)
                assertEquals(h1.get(i).get("grad_norm"), t.history().get(i).get("grad_norm"), "gradient norm of step " + (i + 1));
            for (var e : b.stateDict().entrySet())
                assertEquals(0.0, T.maxAbsDiff(e.getValue(), one.get(e.getKey())), "weight " + e.getKey() + " differs with 3 workers");
        } finally {
            one.values().forEach(T::release);
        }
    }
}
