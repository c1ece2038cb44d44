package org.calico.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.calico.data.Jsonl;
import org.calico.data.PredictedSegment;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;

/** coco-eval, synth and eval through the CLI entry point (Main.commandLine). */
class DataCommandsTest {
    record Run(int rc, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int rc = cl.execute(args);
            return new Run(rc, buf.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void cocoEvalPrintsTheTwelveStats() throws Exception {
        Path d = Path.of(DataCommandsTest.class.getResource("/org/calico/eval/coco/spec-toy.gt.json").toURI()).getParent();
        Run r = run("coco-eval", "--gt", d.resolve("spec-toy.gt.json").toString(), "--dt", d.resolve("spec-toy.dt.json").toString());
        assertEquals(0, r.rc(), r.err());
        JsonNode j = Jsonl.MAPPER.readTree(r.out());
        assertEquals(12, j.get("stats").size());
        assertEquals(0.9158415841584159, j.get("AP50").asDouble(), 1e-12);
        Run bad = run("coco-eval", "--gt", d.resolve("missing.json").toString(), "--dt", d.resolve("spec-toy.dt.json").toString());
        assertEquals(2, bad.rc());
        assertTrue(bad.err().startsWith("error: COCO file not found"), bad.err());
    }

    @Test
    void synthThenEval(@TempDir Path dir) throws Exception {
        Run s = run("synth", "--out", dir.toString(), "--pairs", "6", "--seed", "2", "--split", "test", "--size", "64", "--no-progress");
        assertEquals(0, s.rc(), s.err());
        assertTrue(s.out().contains("| test | all | 6 | 12 |"), s.out());
        List<Sample> samples = Jsonl.readSamples(dir.resolve("test.jsonl"));
        Jsonl.write(dir.resolve("pred.jsonl"), samples.stream().map(x -> new Prediction(x.id(), x.answer(),
                x.segments().stream().map(g -> new PredictedSegment(g.phrase(), g.image(), g.mask(), null)).toList())).toList());
        Run e = run("eval", "--pred", dir.resolve("pred.jsonl").toString(), "--data", dir.toString(), "--out", dir.resolve("ev").toString());
        assertEquals(0, e.rc(), e.err());
        assertTrue(e.out().contains("| **overall** | 6 | 100.00 | 100.00 | 100.00 | 100.00 | 100.00 |"), e.out());
        assertTrue(Files.isRegularFile(dir.resolve("ev/metrics.json")) && Files.isRegularFile(dir.resolve("ev/low-tail.png")));
        Run bad = run("eval", "--pred", dir.resolve("pred.jsonl").toString(), "--data", dir.toString(), "--out", dir.resolve("ev").toString(), "--text-model", "bert");
        assertEquals(2, bad.rc());
        assertTrue(bad.err().contains("only minilm"), bad.err());
    }
}
