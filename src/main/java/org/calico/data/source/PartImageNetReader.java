package org.calico.data.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
 * PartImageNet, Seg release ({@code annotations/<split>/<split>.json}, {@code images/<split>/<wnid>_<n>.JPEG}): part
 * annotations only (polygons), so the object of an image is the union of its parts; the object category is the
 * ImageNet class from the WordNet id in the file name, named through a user-supplied synset table
 * ({@code LOC_synset_mapping.txt} lines {@code "n01440764 tench, Tinca tinca"}: the first synonym); the supercategory
 * ("Quadruped", ...) is the family. Part names: the category name without its supercategory ({@code "Quadruped Head"}
 * -> {@code head}; "Tier" is kept as spelled in the data). Polygons with fewer than 3 points are dropped (counted).
 */
public final class PartImageNetReader {
    private PartImageNetReader() {}

    /** Reads a synset table: {@code wnid first-name, other names} per line. */
    public static Map<String, String> readSynsets(Path table) {
        Map<String, String> m = new HashMap<>();
        try {
            int n = 0;
            for (String line : Files.readAllLines(table)) {
                n++;
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = line.indexOf(' ');
                if (sp <= 0) throw new IllegalArgumentException(table + " line " + n + ": expected '<wnid> <name>[, <synonym>...]', got '" + line + "'");
                String names = line.substring(sp + 1);
                int comma = names.indexOf(',');
                m.put(line.substring(0, sp), (comma >= 0 ? names.substring(0, comma) : names).strip());
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("synset table not found: " + table);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read synset table " + table + ": " + e.getMessage(), e);
        }
        return m;
    }

    /** The WordNet id of a PartImageNet file name: the text before the first '_' of its base name. */
    public static String wnid(String fileName) {
        String base = fileName.substring(fileName.lastIndexOf('/') + 1);
        int u = base.indexOf('_');
        return u > 0 ? base.substring(0, u) : base;
    }

    public static SourceSet read(Path json, Path imageDir, Map<String, String> synsets, String split) {
        Map<Long, JsonNode> images = new LinkedHashMap<>();
        Map<Long, String[]> cats = new HashMap<>(); // id -> {part name, supercategory}
        Map<Long, List<JsonNode>> annsByImage = new LinkedHashMap<>();
        CocoStream.read(json, Map.of(
                "images", n -> images.put(CocoStream.id(n, "id", json, "image"), n),
                "categories", n -> {
                    String name = CocoStream.text(n, "name", json, "category");
                    String sup = n.hasNonNull("supercategory") ? n.get("supercategory").asText() : name.split(" ")[0];
                    String part = name.startsWith(sup + " ") ? name.substring(sup.length() + 1) : name.substring(name.lastIndexOf(' ') + 1);
                    cats.put(CocoStream.id(n, "id", json, "category"), new String[] {part.toLowerCase(java.util.Locale.ROOT), sup});
                },
                "annotations", n -> annsByImage.computeIfAbsent(CocoStream.id(n, "image_id", json, "annotation"), k -> new ArrayList<>()).add(n)));
        int dropped = 0, emptyAnns = 0;
        List<SourceImage> out = new ArrayList<>();
        for (Map.Entry<Long, List<JsonNode>> e : annsByImage.entrySet()) {
            JsonNode im = images.get(e.getKey());
            if (im == null) throw new IllegalArgumentException(json + ": annotations refer to image_id " + e.getKey() + ", which is not in 'images'");
            String file = CocoStream.text(im, "file_name", json, "image " + e.getKey());
            int h = im.path("height").asInt(), w = im.path("width").asInt();
            String wnid = wnid(file);
            String object = synsets.get(wnid);
            if (object == null)
                throw new IllegalArgumentException("WordNet id " + wnid + " (from " + file + ") is not in the synset table; add a line '" + wnid + " <name>'");
            Map<String, List<Rle>> parts = new LinkedHashMap<>();
            String sup = null;
            for (JsonNode a : e.getValue()) {
                String[] c = cats.get(CocoStream.id(a, "category_id", json, "annotation"));
                if (c == null) throw new IllegalArgumentException(json + ": annotation " + a.path("id").asText() + " has an unknown category_id " + a.get("category_id"));
                sup = c[1];
                JsonNode seg = a.get("segmentation");
                if (seg == null || seg.size() == 0) {
                    emptyAnns++;
                    continue;
                }
                if (seg.isArray()) for (JsonNode p : seg) if (p.size() < 6 || p.size() % 2 != 0) dropped++;
                Rle r;
                try {
                    r = CocoSegmentation.toRle(seg, h, w, CocoSegmentation.PolygonPolicy.DROP_DEGENERATE);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(json + ": annotation " + a.path("id").asText() + ": " + ex.getMessage(), ex);
                }
                if (r == null) {
                    emptyAnns++;
                    continue;
                }
                parts.computeIfAbsent(c[0], k -> new ArrayList<>()).add(r);
            }
            if (parts.isEmpty()) continue;
            List<SourceImage.SourcePart> sp = new ArrayList<>();
            List<Rle> all = new ArrayList<>();
            for (Map.Entry<String, List<Rle>> p : parts.entrySet()) {
                CocoRle m = CocoRle.of(Rle.merge(p.getValue(), false));
                sp.add(new SourceImage.SourcePart(p.getKey(), m::toRle));
                all.addAll(p.getValue());
            }
            CocoRle obj = CocoRle.of(Rle.merge(all, false));
            out.add(new SourceImage("partimagenet", split, "partimagenet/" + split + "/" + e.getKey(), imageDir.resolve(file), w, h,
                    List.of(new SourceImage.SourceObject(object, sup, obj::toRle, sp))));
        }
        List<String> warn = new ArrayList<>();
        if (dropped > 0) warn.add(dropped + " degenerate polygon(s) (< 3 points) dropped");
        if (emptyAnns > 0) warn.add(emptyAnns + " annotation(s) without a usable polygon skipped");
        return new SourceSet("partimagenet/" + split, out, warn);
    }
}
