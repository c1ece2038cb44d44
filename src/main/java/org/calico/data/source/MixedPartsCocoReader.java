package org.calico.data.source;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.calico.mask.CocoRle;
import org.calico.mask.Rle;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The released MixedParts COCO-style files ({@code mixed_parts_<split>.json}, {@code ade20k_instance_*_mixed_parts.json},
 * PartImageNet {@code *_mixed_parts.json}) and any COCO file with object and object-part categories. Their exact
 * layout could not be read (data-and-metrics.md §0, UNVERIFIED), so this reader is tolerant:
 * <ul>
 *   <li>a category named {@code "object:part"} or {@code "object's part"} is a part of that object; a category with
 *       supercategory {@code PART} and a bare name is a part whose object comes from the link below; any other
 *       category is an object (supercategory kept as its family unless it is {@code OBJECT});</li>
 *   <li>a part links to its object by {@code obj_ann_id} when present (PACO), else to the instance of its object
 *       category in the same image that it overlaps most, else - no object annotation, as in PartImageNet - the
 *       object is the union of that object's parts in the image.</li>
 * </ul>
 */
public final class MixedPartsCocoReader {
    private MixedPartsCocoReader() {}

    private record Cat(String object, String part, String supercategory) {}

    public static SourceSet read(Path json, Path imageRoot, String split, String source) {
        Map<Long, JsonNode> images = new LinkedHashMap<>();
        Map<Long, Cat> cats = new HashMap<>();
        List<JsonNode> anns = new ArrayList<>();
        CocoStream.read(json, Map.of(
                "images", n -> images.put(CocoStream.id(n, "id", json, "image"), n),
                "categories", n -> {
                    String name = CocoStream.text(n, "name", json, "category");
                    String sup = n.hasNonNull("supercategory") ? n.get("supercategory").asText() : null;
                    Names.ObjectPart op = Names.split(name);
                    Cat c;
                    if (op != null) c = new Cat(op.object(), op.part(), null);
                    else if (sup != null && sup.equalsIgnoreCase("PART")) c = new Cat(null, Names.lvis(name), null);
                    else c = new Cat(Names.lvis(name), null, sup == null || sup.equalsIgnoreCase("OBJECT") ? null : sup);
                    cats.put(CocoStream.id(n, "id", json, "category"), c);
                },
                "annotations", anns::add));
        // objects first
        Map<Long, Obj> objects = new LinkedHashMap<>();
        Map<Long, List<Obj>> objsByImage = new LinkedHashMap<>();
        List<JsonNode> partAnns = new ArrayList<>();
        int empty = 0, unlinked = 0;
        for (JsonNode a : anns) {
            JsonNode seg = a.get("segmentation");
            if (seg == null || seg.size() == 0) {
                empty++;
                continue;
            }
            long id = CocoStream.id(a, "id", json, "annotation");
            Cat c = cats.get(CocoStream.id(a, "category_id", json, "annotation " + id));
            if (c == null) throw new IllegalArgumentException(json + ": annotation " + id + " has an unknown category_id " + a.get("category_id"));
            boolean isPart = c.part() != null || (a.has("obj_ann_id") && a.get("obj_ann_id").asLong() != id);
            if (isPart) {
                partAnns.add(a);
                continue;
            }
            long img = CocoStream.id(a, "image_id", json, "annotation " + id);
            JsonNode im = image(images, img, json);
            Obj o = new Obj(img, c.object(), c.supercategory(), PacoLvisReader.mask(a, im, json), new ArrayList<>());
            objects.put(id, o);
            objsByImage.computeIfAbsent(img, k -> new ArrayList<>()).add(o);
        }
        // parts, linked to objects
        Map<Long, Map<String, Obj>> synthesized = new LinkedHashMap<>();
        for (JsonNode a : partAnns) {
            long id = a.get("id").asLong();
            long img = CocoStream.id(a, "image_id", json, "annotation " + id);
            JsonNode im = image(images, img, json);
            Cat c = cats.get(a.get("category_id").asLong());
            CocoRle m = PacoLvisReader.mask(a, im, json);
            Obj target = null;
            if (a.has("obj_ann_id")) target = objects.get(a.get("obj_ann_id").asLong());
            if (target == null && c.object() != null) {
                long best = -1;
                Rle pm = m.toRle();
                for (Obj o : objsByImage.getOrDefault(img, List.of())) {
                    if (!o.category.equals(c.object())) continue;
                    long inter = Rle.merge(pm, o.mask.toRle(), true).area();
                    if (inter > best) {
                        best = inter;
                        target = o;
                    }
                }
                if (target == null) target = synthesized.computeIfAbsent(img, k -> new LinkedHashMap<>())
                        .computeIfAbsent(c.object(), k -> new Obj(img, c.object(), null, null, new ArrayList<>()));
            }
            if (target == null) {
                unlinked++;
                continue;
            }
            target.parts.add(new SourceImage.SourcePart(c.part(), m::toRle));
        }
        Map<Long, List<SourceImage.SourceObject>> byImage = new LinkedHashMap<>();
        for (Obj o : objects.values())
            byImage.computeIfAbsent(o.image, k -> new ArrayList<>()).add(new SourceImage.SourceObject(o.category, o.supercategory, o.mask::toRle, o.parts));
        for (Map<String, Obj> m : synthesized.values())
            for (Obj o : m.values()) {
                List<SourceImage.SourcePart> ps = List.copyOf(o.parts);
                byImage.computeIfAbsent(o.image, k -> new ArrayList<>()).add(new SourceImage.SourceObject(o.category, o.supercategory,
                        () -> Rle.merge(ps.stream().map(p -> p.mask().get()).toList(), false), ps));
            }
        List<SourceImage> out = new ArrayList<>();
        for (Map.Entry<Long, JsonNode> e : images.entrySet()) { // file order of 'images'
            List<SourceImage.SourceObject> objs = byImage.get(e.getKey());
            if (objs == null) continue;
            JsonNode im = e.getValue();
            out.add(new SourceImage(source, split, source + "/" + split + "/" + e.getKey(), imageRoot.resolve(CocoStream.text(im, "file_name", json, "image")),
                    im.path("width").asInt(), im.path("height").asInt(), objs));
        }
        List<String> warn = new ArrayList<>();
        if (empty > 0) warn.add(empty + " annotation(s) with an empty segmentation skipped");
        if (unlinked > 0) warn.add(unlinked + " bare part annotation(s) without obj_ann_id skipped");
        return new SourceSet(source + "/" + split, out, warn);
    }

    private static JsonNode image(Map<Long, JsonNode> images, long img, Path json) {
        JsonNode im = images.get(img);
        if (im == null) throw new IllegalArgumentException(json + ": annotation refers to image_id " + img + ", which is not in 'images'");
        return im;
    }

    private static final class Obj {
        final long image;
        final String category, supercategory;
        final CocoRle mask;
        final List<SourceImage.SourcePart> parts;

        Obj(long image, String category, String supercategory, CocoRle mask, List<SourceImage.SourcePart> parts) {
            this.image = image;
            this.category = category;
            this.supercategory = supercategory;
            this.mask = mask;
            this.parts = parts;
        }
    }
}
