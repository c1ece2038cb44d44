package org.calico.data.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.calico.data.Categories;
import org.calico.data.DatasetDir;
import org.calico.data.Jsonl;
import org.calico.data.Sample;
import org.calico.data.Segment;
import org.calico.api.Task;
import org.calico.image.RgbImage;
import org.calico.mask.Rle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthGeneratorTest {
    static final SynthGenerator.Options SMALL = SynthGenerator.Options.defaults().withSize(64);

    @Test
    void samplesAreValidStratifiedAndInTheGrammar(@TempDir Path dir) throws Exception {
        List<Sample> ss = new SynthGenerator(SMALL).generateSplit(dir, "train", 30, 3, false);
        assertEquals(30, ss.size());
        for (int i = 0; i < ss.size(); i++) {
            Sample s = ss.get(i);
            assertEquals(Task.values()[i % 3], s.task());
            assertEquals(2, s.images().size());
            s.validate();
            for (var im : s.images()) {
                RgbImage img = RgbImage.read(dir.resolve(im.path()));
                assertEquals(64, img.width());
            }
            for (Segment g : s.segments()) assertTrue(g.mask().toRle().area() >= SMALL.minPartPixels(), s.id() + " " + g.phrase());
            switch (s.task()) {
                case COMMON_OBJECT -> {
                    assertEquals(s.objects().get(0).objectName(), s.objects().get(1).objectName());
                    assertTrue(s.answer().startsWith("The common object is <p> the " + s.objects().get(0).objectName() + " </p> [SEG] (IMAGE1) and <p> the "));
                }
                case COMMON_PARTS -> {
                    // each common part once per image, grouped: (p, IMAGE1), (p, IMAGE2), ...
                    for (int k = 0; k < s.segments().size(); k += 2) {
                        assertEquals(s.segments().get(k).phrase(), s.segments().get(k + 1).phrase());
                        assertEquals(0, s.segments().get(k).image());
                        assertEquals(1, s.segments().get(k + 1).image());
                    }
                }
                case UNIQUE_PARTS -> {
                    assertNotEquals(s.objects().get(0).objectName(), s.objects().get(1).objectName());
                    for (Segment g : s.segments()) assertFalse(s.objects().get(1 - g.image()).parts().contains(g.partName()), s.answer());
                }
            }
        }
        // the 10 common-object samples cycle through a shuffle of the 12 categories: no repeats
        Set<String> co = new HashSet<>();
        for (Sample s : ss) if (s.task() == Task.COMMON_OBJECT) co.add(s.objects().get(0).objectName());
        assertEquals(10, co.size());
        assertEquals(ss, DatasetDir.load(dir, "train").samples());
        Categories c = Categories.read(dir.resolve("categories.json"));
        assertEquals(12, c.objects().size());
        assertTrue(Files.readString(dir.resolve("stats.md")).contains("| train | all | 30 | 60 |"));
    }

    @Test
    void deterministicAndSplitsDisjoint(@TempDir Path a, @TempDir Path b) throws Exception {
        SynthGenerator g = new SynthGenerator(SMALL);
        List<Sample> x = g.generateSplit(a, "train", 6, 7, false), y = g.generateSplit(b, "train", 6, 7, false);
        assertEquals(x, y);
        for (Sample s : x)
            for (var im : s.images()) assertArrayEquals(Files.readAllBytes(a.resolve(im.path())), Files.readAllBytes(b.resolve(im.path())));
        List<Sample> t = g.generateSplit(a, "test", 6, 7, false);
        Set<String> digests = new HashSet<>(), ids = new HashSet<>();
        for (Sample s : x) {
            ids.add(s.id());
            for (var im : s.images()) digests.add(RgbImage.read(a.resolve(im.path())).contentDigest());
        }
        for (Sample s : t) {
            assertFalse(ids.contains(s.id()));
            for (var im : s.images()) assertFalse(digests.contains(RgbImage.read(a.resolve(im.path())).contentDigest()), im.path());
        }
        assertEquals(6, Jsonl.readSamples(a.resolve("train.jsonl")).size());
        assertEquals(6, Jsonl.readSamples(a.resolve("test.jsonl")).size());
    }

    @Test
    void masksMatchThePaintedLabels() {
        SynthGenerator g = new SynthGenerator(SMALL);
        SynthGenerator.Rendered r = g.render(new SplittableRandom(1), List.of(SynthCategory.CHAIR, SynthCategory.MUG));
        SynthGenerator.RenderedObject chair = r.objects().get(0);
        assertTrue(chair.target());
        Rle union = Rle.merge(List.copyOf(chair.parts().values()), false);
        assertEquals(chair.mask(), union);
        long sum = 0;
        for (Map.Entry<String, Rle> e : chair.parts().entrySet()) sum += e.getValue().area();
        assertEquals(chair.mask().area(), sum); // parts are disjoint
        assertEquals(0, Rle.merge(chair.mask(), r.objects().get(1).mask(), true).area()); // objects in separate halves
        assertEquals(List.of("seat", "back", "legs"), List.copyOf(chair.parts().keySet()));
    }

    @Test
    void comparablePairsShareAPart() {
        List<SynthCategory[]> pairs = SynthGenerator.comparablePairs();
        assertEquals(9, pairs.size());
        for (SynthCategory[] p : pairs) {
            assertEquals(p[0].family(), p[1].family());
            assertTrue(p[0].parts().stream().anyMatch(p[1].parts()::contains));
        }
        assertTrue(SynthGenerator.vocabulary().containsAll(List.of("chair", "legs", "[seg]", "<p>", "common", "unique", "overview")));
        assertThrows(IllegalArgumentException.class, () -> new SynthGenerator.Options(16, 2, 0.3, 0.2, List.of(Task.COMMON_OBJECT), 1, true));
    }
}
