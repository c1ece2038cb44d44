package org.calico.data.source;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.calico.mask.CocoRle;
import org.calico.mask.CocoSegmentation;
import org.calico.mask.Rle;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * PACO-LVIS ({@code paco_lvis_v1_<split>.json}, facebookresearch/paco): objects are annotations with
 * {@code id == obj_ann_id}, parts have {@code obj_ann_id} = their object's id; object-part categories are named
 * {@code "<lvis object>:<part>"} (ids 2000+), cleaned as LISA/GLaMM do ({@code car_(automobile):antenna} -> car /
 * antenna). Images live at {@code <cocoRoot>/<file_name>}. Empty segmentations are skipped; all three COCO
 * segmentation forms are accepted.
 */
public final class PacoLvisReader {
    private PacoLvisReader() {}

    public static SourceSet read(Path json, Path cocoRoot, String split) {
        Map<Long, JsonNode> images = new LinkedHashMap<>();
        Map<Long, String> catNames = new HashMap<>();
        List<JsonNode> anns = new ArrayList<>();
        CocoStream.read(json, Map.of(
                "images", n -> images.put(CocoStream.id(n, "id", json, "image"), n),
                "categories", n -> catNames.put(CocoStream.id(n, "id", json, "category"), CocoStream.text(n, "name", json, "category")),
                "annotations", anns::add));
        int emptySeg = 0, orphanParts = 0, unknownCat = 0;
        Map<Long, ObjBuilder> objects = new LinkedHashMap<>();
        List<JsonNode> parts = new ArrayList<>();
        for (JsonNode a : anns) {
            long id = CocoStream.id(a, "id", json, "annotation");
            JsonNode seg = a.get("segmentation");
            if (seg == null || seg.size() == 0) {
                emptySeg++;
                continue;
            }
            long obj = a.has("obj_ann_id") ? a.get("obj_ann_id").asLong() : id;
            if (obj != id) {
                parts.add(a);
                continue;
            }
            long img = CocoStream.id(a, "image_id", json, "annotation " + id);
            String cat = catNames.get(CocoStream.id(a, "category_id", json, "annotation " + id));
            if (cat == null || !images.containsKey(img)) {
                unknownCat++;
                continue;
            }
            objects.put(id, new ObjBuilder(img, Names.lvis(cat), mask(a, images.get(img), json)));
        }
        for (JsonNode a : parts) {
            ObjBuilder o = objects.get(a.get("obj_ann_id").asLong());
            long id = a.get("id").asLong();
            if (o == null) {
                orphanParts++;
                continue;
            }
            String cat = catNames.get(CocoStream.id(a, "category_id", json, "annotation " + id));
            Names.ObjectPart op = cat == null ? null : Names.split(cat);
            if (op == null) {
                unknownCat++;
                continue;
            }
            o.parts.add(new SourceImage.SourcePart(op.part(), mask(a, images.get(o.image), json)::toRle));
        }
        Map<Long, List<SourceImage.SourceObject>> byImage = new LinkedHashMap<>();
        for (ObjBuilder o : objects.values())
            byImage.computeIfAbsent(o.image, k -> new ArrayList<>()).add(new SourceImage.SourceObject(o.category, null, o.mask::toRle, o.parts));
        List<SourceImage> out = new ArrayList<>();
        for (Map.Entry<Long, List<SourceImage.SourceObject>> e : byImage.entrySet()) {
            JsonNode im = images.get(e.getKey());
            String file = CocoStream.text(im, "file_name", json, "image " + e.getKey());
            out.add(new SourceImage("paco-lvis", split, "paco-lvis/" + e.getKey(), cocoRoot.resolve(file), im.path("width").asInt(), im.path("height").asInt(),
                    e.getValue()));
        }
        List<String> w = new ArrayList<>();
        if (emptySeg > 0) w.add(emptySeg + " annotation(s) with an empty segmentation skipped");
        if (orphanParts > 0) w.add(orphanParts + " part annotation(s) whose obj_ann_id is not an object annotation skipped");
        if (unknownCat > 0) w.add(unknownCat + " annotation(s) with an unknown category or image skipped");
        return new SourceSet("paco-lvis/" + split, out, w);
    }

    private record ObjBuilder(long image, String category, CocoRle mask, List<SourceImage.SourcePart> parts) {
        ObjBuilder(long image, String category, CocoRle mask) {
            this(image, category, mask, new ArrayList<>());
        }
    }

    static CocoRle mask(JsonNode ann, JsonNode image, Path file) {
        int h = image.path("height").asInt(), w = image.path("width").asInt();
        try {
            Rle r = CocoSegmentation.toRle(ann.get("segmentation"), h, w, CocoSegmentation.PolygonPolicy.STRICT);
            if (r.height() != h || r.width() != w)
                throw new IllegalArgumentException("mask is " + r.height() + "x" + r.width() + ", image is " + h + "x" + w);
            return CocoRle.of(r);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": annotation " + ann.path("id").asText() + ": " + e.getMessage(), e);
        }
    }
}
