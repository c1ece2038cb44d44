package org.calico.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.calico.data.source.Ade20kPart234Reader;
import org.calico.data.source.PacoLvisReader;
import org.calico.data.source.SourceSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MixedPartsBuilderTest {
    static Path fx() throws URISyntaxException {
        return Path.of(MixedPartsBuilderTest.class.getResource("/org/calico/data/fixtures/paco/paco_lvis_v1_train.json").toURI()).getParent().getParent();
    }

    static SourceSet sources() throws Exception {
        Path f = fx();
        return SourceSet.concat(List.of(
                PacoLvisReader.read(f.resolve("paco/paco_lvis_v1_train.json"), f.resolve("coco"), "train"),
                PacoLvisReader.read(f.resolve("paco/paco_lvis_v1_val.json"), f.resolve("coco"), "val"),
                Ade20kPart234Reader.read(f.resolve("ade20k/ade20k_instance_train.json"), f.resolve("ade20k/images/training"),
                        f.resolve("ade20k/annotations_detectron2_part/training"), "train")));
    }

    static final MixedPartsBuilder.Options OPT = new MixedPartsBuilder.Options(3, 2, 2, 1, 4, 16, List.of(Task.values()), false, true);

    @Test
    void buildsValidSamplesForAllTasks(@TempDir Path out) throws Exception {
        List<MixedPartsBuilder.PairSpec> pairs = List.of(new MixedPartsBuilder.PairSpec("chair", "stool"), new MixedPartsBuilder.PairSpec("table", "stool"),
                new MixedPartsBuilder.PairSpec("chair", "mug"), new MixedPartsBuilder.PairSpec("chair", "giraffe"));
        MixedPartsBuilder.Result r = new MixedPartsBuilder(OPT).build(sources(), pairs, out, false);
        assertEquals(List.of("chair | stool", "stool | table"), r.pairs());
        assertEquals(List.of("chair | mug (no shared part name)", "chair | giraffe (giraffe not in the sources)"), r.droppedPairs());
        assertTrue(r.warnings().contains("2 object instance(s) skipped: their category appears more than 1 time(s) in the image"), r.warnings().toString());
        Set<Task> tasks = EnumSet.noneOf(Task.class);
        for (Sample s : r.samples()) {
            tasks.add(s.task());
            s.validate();
            for (ImageRef im : s.images()) assertTrue(Files.isRegularFile(out.resolve(im.path())), im.path());
            assertFalse(s.images().get(0).path().equals(s.images().get(1).path()), s.id());
            if (s.task() == Task.UNIQUE_PARTS && s.objects().get(0).objectName().equals("chair") && s.objects().get(1).objectName().equals("stool"))
                assertEquals("The unique parts of the objects are <p> the back </p> [SEG] (IMAGE1).", s.answer());
            if (s.task() == Task.COMMON_PARTS && Set.of(s.objects().get(0).objectName(), s.objects().get(1).objectName()).equals(Set.of("chair", "stool")))
                assertEquals(List.of("the leg", "the leg", "the seat", "the seat"), s.segments().stream().map(Segment::phrase).toList());
        }
        assertEquals(EnumSet.allOf(Task.class), tasks);
        // both splits are written and read back identically
        List<Sample> train = DatasetDir.load(out, "train").samples(), val = DatasetDir.load(out, "val").samples();
        assertEquals(r.samples().size(), train.size() + val.size());
        assertTrue(val.stream().allMatch(s -> s.split().equals("val")));
        Categories c = Categories.read(out.resolve("categories.json"));
        assertTrue(c.object("chair").parts().containsAll(List.of("back", "leg", "seat")));
        assertTrue(Files.readString(out.resolve("stats.md")).contains("| val | all |"));
        assertTrue(Files.readString(out.resolve("dataset.json")).contains("chair | giraffe (giraffe not in the sources)"));
    }

    @Test
    void deterministicForASeedAndCopiesImages(@TempDir Path a, @TempDir Path b) throws Exception {
        MixedPartsBuilder.Options copy = new MixedPartsBuilder.Options(3, 2, 2, 1, 4, 16, List.of(Task.values()), true, true);
        List<Sample> x = new MixedPartsBuilder(copy).build(sources(), null, a, false).samples();
        List<Sample> y = new MixedPartsBuilder(copy).build(sources(), null, b, false).samples();
        assertEquals(x, y);
        assertTrue(x.get(0).images().get(0).path().startsWith("images/"), x.get(0).images().get(0).path());
        for (Sample s : x) for (ImageRef im : s.images()) assertTrue(Files.isRegularFile(a.resolve(im.path())));
        List<Sample> z = new MixedPartsBuilder(copy.with(4, 2, 2)).build(sources(), null, b, false).samples();
        assertFalse(x.equals(z)); // another seed, another draw
    }

    @Test
    void pairListParsingAndMissingImages(@TempDir Path out) throws Exception {
        assertTrue(MixedPartsBuilder.defaultPairs().contains(new MixedPartsBuilder.PairSpec("chair", "stool")));
        assertTrue(MixedPartsBuilder.defaultPairs().contains(new MixedPartsBuilder.PairSpec("@Bird", "@Aeroplane")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MixedPartsBuilder.parsePairs("chair | stool\nchair stool\n", "x.txt"));
        assertTrue(e.getMessage().contains("x.txt line 2"), e.getMessage());
        Path f = fx();
        SourceSet wrongRoot = PacoLvisReader.read(f.resolve("paco/paco_lvis_v1_train.json"), f.resolve("nowhere"), "train");
        e = assertThrows(IllegalArgumentException.class, () -> new MixedPartsBuilder(OPT).build(wrongRoot, null, out, false));
        assertTrue(e.getMessage().startsWith("image not found: ") && e.getMessage().contains("check the source's image root"), e.getMessage());
    }
}
