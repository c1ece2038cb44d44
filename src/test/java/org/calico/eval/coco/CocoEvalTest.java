package org.calico.eval.coco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.calico.mask.Rle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** COCOeval port against pycocotools 2.0.11 on the spec's toy case and generated cases (scripts/gen_cocoeval_cases.py). */
class CocoEvalTest {
    static Path dir() throws URISyntaxException {
        return Path.of(CocoEvalTest.class.getResource("spec-toy.gt.json").toURI()).getParent();
    }

    static Stream<String> cases() {
        return Stream.of("spec-toy", "spec-toy-fp-first", "random-1cat", "random-3cat", "random-ties", "random-crowd-poly",
                "random-gt-id0", "random-nocats", "random-maxdets", "many-dets", "bbox-branch");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesPycocotools(String name) throws Exception {
        Path d = dir();
        CocoDataset gt = CocoDataset.read(d.resolve(name + ".gt.json"));
        List<CocoAnnotation> dt = CocoResults.read(d.resolve(name + ".dt.json"), gt);
        JsonNode exp = new ObjectMapper().readTree(d.resolve(name + ".expected.json").toFile());
        CocoEval e = new CocoEval(gt, dt);
        JsonNode params = exp.get("params");
        if (params.has("useCats")) e.params.useCats = params.get("useCats").asInt() != 0;
        if (params.has("maxDets")) {
            int[] md = new int[params.get("maxDets").size()];
            for (int i = 0; i < md.length; i++) md[i] = params.get("maxDets").get(i).asInt();
            e.params.maxDets = md;
        }
        e.evaluate();
        e.accumulate();
        double[] stats = e.summarize();
        for (int i = 0; i < 12; i++)
            assertEquals(exp.get("stats").get(i).asDouble(), stats[i], 1e-12, name + " stat " + CocoEval.STAT_NAMES[i]);
    }

    @Test
    void specToyNumbers() throws Exception {
        Path d = dir();
        CocoDataset gt = CocoDataset.read(d.resolve("spec-toy.gt.json"));
        double[] s = CocoEval.run(gt, CocoResults.read(d.resolve("spec-toy.dt.json"), gt));
        assertEquals(0.915842, s[1], 1e-6);
        assertEquals(0.426238, s[0], 1e-6);
        double[] f = CocoEval.run(gt, CocoResults.read(d.resolve("spec-toy-fp-first.dt.json"), gt));
        assertEquals(0.75, f[1], 1e-12);
        assertEquals(0.264439, f[0], 1e-6);
    }

    @Test
    void linspaceAndSearchsortedMatchNumpy() {
        double[] iou = CocoEval.linspace(.5, .95, 10);
        assertEquals(0.5, iou[0]);
        assertEquals(0.75, iou[5]); // summarize looks .75 up by equality
        assertEquals(0.95, iou[9]);
        double[] rec = CocoEval.linspace(0, 1, 101);
        assertEquals(0.01, rec[1]);
        assertEquals(1.0, rec[100]);
        assertEquals(1, CocoEval.searchsortedLeft(new double[] {0.2, 0.5, 0.5, 1.0}, 0.5));
        assertEquals(4, CocoEval.searchsortedLeft(new double[] {0.2, 0.5, 0.5, 1.0}, 1.01));
    }

    @Test
    void badInputsAreNamed() throws Exception {
        Path d = dir();
        CocoDataset gt = CocoDataset.read(d.resolve("spec-toy.gt.json"));
        ObjectMapper om = new ObjectMapper();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CocoResults.load(om.readTree("[{\"image_id\":9,\"category_id\":1,\"segmentation\":{\"size\":[20,20],\"counts\":\"0d<\"},\"score\":1}]"), gt));
        assertTrue(e.getMessage().contains("image_id 9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoResults.load(om.readTree("[{\"image_id\":1,\"category_id\":1,\"segmentation\":{\"size\":[20,20],\"counts\":\"0d<\"}}]"), gt));
        assertTrue(e.getMessage().contains("score"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoDataset.read(d.resolve("missing.json")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        List<CocoAnnotation> anns = new ArrayList<>();
        anns.add(new CocoAnnotation(1, 1, 1, Rle.empty(2, 2), 0, false, Double.NaN));
        anns.add(new CocoAnnotation(1, 1, 1, Rle.empty(2, 2), 0, false, Double.NaN));
        e = assertThrows(IllegalArgumentException.class,
                () -> new CocoDataset(List.of(new CocoDataset.Image(1, 2, 2)), List.of(1L), anns));
        assertTrue(e.getMessage().contains("duplicate annotation id 1"), e.getMessage());
    }
}
