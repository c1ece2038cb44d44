package org.calico.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.calico.mask.CocoRle;
import org.calico.mask.Rle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleFormatTest {
    static Sample sample() {
        CocoRle m = CocoRle.of(Rle.encode(new boolean[] {true, false, false, true}, 2, 2));
        List<Segment> segs = List.of(new Segment("the seat", 0, m, 1, "chair", 2, "seat"), new Segment("the seat", 1, m, 3, "stool", 2, "seat"));
        return new Sample("x1", "test", Task.COMMON_PARTS, "hand", List.of(new ImageRef("a.png", 2, 2), new ImageRef("b.png", 2, 2)),
                AnswerGrammar.prompt(Task.COMMON_PARTS, 2),
                "The common parts of the objects are <p> the seat </p> [SEG] (IMAGE1) and <p> the seat </p> [SEG] (IMAGE2).", segs,
                List.of(new ObjectRef(0, 1, "chair", "furniture", List.of("seat", "back")), new ObjectRef(1, 3, "stool", "furniture", List.of("seat"))));
    }

    @Test
    void grammar() {
        assertEquals("The <image> (IMAGE1) and <image> (IMAGE2) provide an overview of the pictures. Can you segment the common object in these images?",
                AnswerGrammar.prompt(Task.COMMON_OBJECT, 2));
        assertEquals("The <image> (IMAGE1), <image> (IMAGE2) and <image> (IMAGE3) provide an overview of the pictures. "
                + "Can you segment the unique parts of the objects in these images?", AnswerGrammar.prompt(Task.UNIQUE_PARTS, 3));
        String a = AnswerGrammar.answer(Task.UNIQUE_PARTS, List.of(new AnswerGrammar.Grounding("the seat cushion", 0), new AnswerGrammar.Grounding("the back pillow", 1)));
        assertEquals("The unique parts of the objects are <p> the seat cushion </p> [SEG] (IMAGE1) and <p> the back pillow </p> [SEG] (IMAGE2).", a);
        assertEquals(List.of(new AnswerGrammar.Grounding("the seat cushion", 0), new AnswerGrammar.Grounding("the back pillow", 1)), AnswerGrammar.parse(a));
        // model output: missing image id and sloppy spacing
        assertEquals(List.of(new AnswerGrammar.Grounding("a leg", -1), new AnswerGrammar.Grounding("b", 11)),
                AnswerGrammar.parse("x <p>a leg</p>[SEG] y <p> b </p> [SEG](IMAGE12)."));
        assertEquals("the trash can", AnswerGrammar.phrase("trash_can"));
        assertThrows(IllegalArgumentException.class, () -> AnswerGrammar.prompt(Task.COMMON_OBJECT, 1));
    }

    @Test
    void jsonRoundTripAndSchema(@TempDir Path dir) throws Exception {
        Sample s = sample().validate();
        Path f = dir.resolve("s.jsonl");
        Jsonl.write(f, List.of(s, s));
        String line = Files.readAllLines(f).get(0);
        assertTrue(line.startsWith("{\"id\":\"x1\",\"split\":\"test\",\"task\":\"common-parts\",\"source\":\"hand\",\"images\":[{\"path\":\"a.png\",\"width\":2,\"height\":2}"), line);
        assertTrue(line.contains("\"segments\":[{\"phrase\":\"the seat\",\"image\":0,\"mask\":{\"size\":[2,2],\"counts\":\"0120\"},\"object_id\":1,\"object_name\":\"chair\",\"part_id\":2,\"part_name\":\"seat\"}"), line);
        assertEquals(List.of(s, s), Jsonl.readSamples(f));
        Prediction p = new Prediction("x1", "a", List.of(new PredictedSegment("the seat", 1, s.segments().get(0).mask(), null)));
        Jsonl.write(dir.resolve("p.jsonl"), List.of(p));
        assertEquals(1.0, Jsonl.readPredictions(dir.resolve("p.jsonl")).get(0).segments().get(0).score());
    }

    @Test
    void validationNamesTheProblem(@TempDir Path dir) throws Exception {
        Sample s = sample();
        Sample wrongOrder = new Sample(s.id(), s.split(), s.task(), s.source(), s.images(), s.prompt(),
                "The common parts of the objects are <p> the seat </p> [SEG] (IMAGE2) and <p> the seat </p> [SEG] (IMAGE1).", s.segments(), s.objects());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, wrongOrder::validate);
        assertTrue(e.getMessage().contains("answer phrase 0 is 'the seat' (IMAGE2) but segment 0 is 'the seat' (IMAGE1)"), e.getMessage());
        Sample badSize = new Sample(s.id(), s.split(), s.task(), s.source(), List.of(new ImageRef("a.png", 3, 2), s.images().get(1)), s.prompt(),
                s.answer(), s.segments(), s.objects());
        e = assertThrows(IllegalArgumentException.class, badSize::validate);
        assertTrue(e.getMessage().contains("segment 0 mask is 2x2 (HxW), image a.png is 2x3"), e.getMessage());
        Files.writeString(dir.resolve("bad.jsonl"), Jsonl.toLine(s) + "\n{\"id\":\"y\",\"task\":\"common-thing\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Jsonl.readSamples(dir.resolve("bad.jsonl")));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("unknown task 'common-thing'"), e.getMessage());
    }
}
