package org.calico.data.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.calico.mask.Rle;
import org.junit.jupiter.api.Test;

/** The four source readers on the fixture files made by scripts/gen_source_fixtures.py. */
class SourceReadersTest {
    static Path fx() throws URISyntaxException {
        return Path.of(SourceReadersTest.class.getResource("/org/calico/data/fixtures/paco/paco_lvis_v1_train.json").toURI()).getParent().getParent();
    }

    static SourceImage.SourceObject only(SourceImage im) {
        assertEquals(1, im.objects().size());
        return im.objects().get(0);
    }

    static Rle part(SourceImage.SourceObject o, String name) {
        for (SourceImage.SourcePart p : o.parts()) if (p.name().equals(name)) return p.mask().get();
        throw new AssertionError("no part " + name + " in " + o.parts());
    }

    @Test
    void names() {
        assertEquals("car", Names.lvis("car_(automobile)"));
        assertEquals("trash_can", Names.lvis("trash_can"));
        assertEquals(new Names.ObjectPart("car", "antenna"), Names.split("car_(automobile):antenna"));
        assertEquals(new Names.ObjectPart("chest of drawers", "drawer"), Names.split("chest of drawers's drawer"));
        assertEquals(new Names.ObjectPart("door", "door frame"), Names.split("door's door frame"));
        assertNull(Names.split("chair"));
    }

    @Test
    void pacoLvis() throws Exception {
        Path f = fx();
        SourceSet s = PacoLvisReader.read(f.resolve("paco/paco_lvis_v1_train.json"), f.resolve("coco"), "train");
        assertEquals(9, s.images().size());
        assertEquals(List.of("1 annotation(s) with an empty segmentation skipped", "1 part annotation(s) whose obj_ann_id is not an object annotation skipped"),
                s.warnings());
        SourceImage first = s.images().get(0);
        assertEquals(f.resolve("coco/train2017/000000000001.jpg"), first.file());
        assertEquals(40, first.width());
        SourceImage.SourceObject chair = only(first);
        assertEquals("chair", chair.category());
        assertEquals(List.of("leg", "seat", "back"), chair.parts().stream().map(SourceImage.SourcePart::name).toList());
        assertEquals(300, part(chair, "leg").area());
        assertEquals(28 * 30, chair.mask().get().area());
        assertEquals("car", only(s.images().get(7)).category());
        assertEquals("wheel", only(s.images().get(7)).parts().get(0).name());
        assertEquals(2, s.images().get(8).objects().size());
    }

    @Test
    void partImageNet() throws Exception {
        Path f = fx().resolve("partimagenet");
        Map<String, String> syn = PartImageNetReader.readSynsets(f.resolve("LOC_synset_mapping.txt"));
        assertEquals("brambling", syn.get("n01530575"));
        assertEquals("n02085620", PartImageNetReader.wnid("n02085620_10074.JPEG"));
        SourceSet s = PartImageNetReader.read(f.resolve("annotations/train/train.json"), f.resolve("images/train"), syn, "train");
        assertEquals(4, s.images().size());
        assertEquals(List.of("1 degenerate polygon(s) (< 3 points) dropped", "1 annotation(s) without a usable polygon skipped"), s.warnings());
        SourceImage.SourceObject dog = only(s.images().get(0));
        assertEquals("Chihuahua", dog.category());
        assertEquals("Quadruped", dog.supercategory());
        assertEquals(List.of("head", "body", "foot", "tail"), dog.parts().stream().map(SourceImage.SourcePart::name).toList());
        // the object is the union of its parts
        Rle union = Rle.merge(dog.parts().stream().map(p -> p.mask().get()).toList(), false);
        assertEquals(union, dog.mask().get());
        // two foot polygons [14..20]x[20..29] and [28..34]x[20..29], pixel centres: 6x9 each
        assertEquals(2 * 6 * 9, part(dog, "foot").area());
        SourceImage.SourceObject bird = only(s.images().get(2));
        assertEquals("brambling", bird.category());
        assertEquals(List.of("head", "body", "wing", "tail"), bird.parts().stream().map(SourceImage.SourcePart::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartImageNetReader.read(f.resolve("annotations/train/train.json"), f.resolve("images/train"), Map.of("n02085620", "Chihuahua"), "train"));
        assertTrue(e.getMessage().contains("WordNet id n01530575"), e.getMessage());
    }

    @Test
    void ade20kPart234() throws Exception {
        Path f = fx().resolve("ade20k");
        assertEquals(44, Ade20kPart234Reader.OBJECTS.size());
        assertEquals(234, Ade20kPart234Reader.PARTS.size());
        assertEquals("person's arm", Ade20kPart234Reader.PARTS.get(0));
        int[] lab = Ade20kPart234Reader.readLabels(f.resolve("annotations_detectron2_part/training/ADE_train_00000001.png"), 30, 40);
        assertEquals(Ade20kPart234Reader.PARTS.indexOf("chair's leg"), lab[25 * 40 + 10]);
        assertEquals(Ade20kPart234Reader.IGNORE, lab[39]);
        SourceSet s = Ade20kPart234Reader.read(f.resolve("ade20k_instance_train.json"), f.resolve("images/training"),
                f.resolve("annotations_detectron2_part/training"), "train");
        assertEquals(4, s.images().size());
        SourceImage im = s.images().get(0);
        assertEquals(2, im.objects().size());
        SourceImage.SourceObject chair = im.objects().get(0), stool = im.objects().get(1);
        assertEquals("chair", chair.category());
        assertEquals(List.of("leg", "seat", "back"), chair.parts().stream().map(SourceImage.SourcePart::name).toList());
        assertEquals(10 * 18, part(chair, "leg").area());
        assertEquals(12 * 6, part(chair, "back").area());
        assertEquals(12 * 14, part(stool, "leg").area());
        // polygon instance (image 2): parts are clipped to the instance mask
        SourceImage.SourceObject st2 = only(s.images().get(1));
        Rle leg = part(st2, "leg");
        assertTrue(leg.area() > 0 && leg.area() <= 14 * 30, leg.toString());
        assertEquals(leg, Rle.merge(leg, st2.mask().get(), true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ade20kPart234Reader.readLabels(f.resolve("nope.png"), 30, 40));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void mixedPartsCocoFiles() throws Exception {
        Path f = fx().resolve("mixedparts");
        SourceSet s = MixedPartsCocoReader.read(f.resolve("mixed_parts_train.json"), f.resolve("images"), "train", "mixedparts");
        assertEquals(4, s.images().size());
        SourceImage.SourceObject chair = only(s.images().get(0));
        assertEquals("chair", chair.category());
        assertEquals(List.of("leg", "seat", "back"), chair.parts().stream().map(SourceImage.SourcePart::name).toList());
        SourceImage.SourceObject kettle = only(s.images().get(2)); // no object annotation: union of its parts
        assertEquals("kettle", kettle.category());
        assertEquals(Rle.merge(part(kettle, "spout"), part(kettle, "body"), false), kettle.mask().get());
        assertEquals("bench", only(s.images().get(1)).category());
    }
}
