package org.calico.eval.coco;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.calico.mask.CocoSegmentation;
import org.calico.mask.Rle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A COCO ground-truth set for segmentation evaluation: images (id, height, width) in file order, categories, and
 * annotations in file order with their masks converted to RLE as {@code COCO.annToRLE} does. Immutable.
 *
 * <p>Files are read with a streaming parser, so large sets (PACO-LVIS) do not need a full JSON tree in memory.
 */
public final class CocoDataset {
    /** Image size. */
    public record Image(long id, int height, int width) {}

    private final Map<Long, Image> images;
    private final List<Long> categoryIds;
    private final List<CocoAnnotation> annotations;

    public CocoDataset(List<Image> images, List<Long> categoryIds, List<CocoAnnotation> annotations) {
        Map<Long, Image> im = new LinkedHashMap<>();
        for (Image i : images) im.put(i.id(), i);
        Set<Long> ids = new HashSet<>();
        for (CocoAnnotation a : annotations) {
            if (!ids.add(a.id())) throw new IllegalArgumentException("duplicate annotation id " + a.id() + " in ground truth");
            if (!im.containsKey(a.imageId()))
                throw new IllegalArgumentException("annotation " + a.id() + " refers to image_id " + a.imageId() + ", which is not in 'images'");
        }
        this.images = Collections.unmodifiableMap(im);
        this.categoryIds = List.copyOf(categoryIds);
        this.annotations = List.copyOf(annotations);
    }

    public Map<Long, Image> images() { return images; }

    public List<Long> categoryIds() { return categoryIds; }

    public List<CocoAnnotation> annotations() { return annotations; }

    /** Reads a COCO ground-truth JSON file ({@code images}, {@code annotations}, {@code categories}). */
    public static CocoDataset read(Path file) {
        ObjectMapper om = new ObjectMapper();
        List<Image> images = new ArrayList<>();
        List<Long> cats = new ArrayList<>();
        List<JsonNode> rawAnns = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); JsonParser p = om.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException(file + ": a COCO file must be a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_ARRAY && (name.equals("images") || name.equals("annotations") || name.equals("categories"))) {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        JsonNode n = om.readTree(p);
                        switch (name) {
                            case "images" -> images.add(new Image(longField(n, "id", file, "image"),
                                    (int) longField(n, "height", file, "image"), (int) longField(n, "width", file, "image")));
                            case "categories" -> cats.add(longField(n, "id", file, "category"));
                            default -> rawAnns.add(n);
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("COCO file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot parse COCO file " + file + ": " + e.getMessage(), e);
        }
        Map<Long, Image> byId = new LinkedHashMap<>();
        for (Image i : images) byId.put(i.id(), i);
        List<CocoAnnotation> anns = new ArrayList<>(rawAnns.size());
        for (JsonNode n : rawAnns) {
            long id = longField(n, "id", file, "annotation");
            long img = longField(n, "image_id", file, "annotation " + id);
            Image im = byId.get(img);
            if (im == null) throw new IllegalArgumentException(file + ": annotation " + id + " refers to image_id " + img + ", which is not in 'images'");
            if (!n.has("area")) throw new IllegalArgumentException(file + ": annotation " + id + " has no 'area' (COCOeval reads it for the area ranges)");
            Rle mask;
            try {
                mask = CocoSegmentation.toRle(n.get("segmentation"), im.height(), im.width(), CocoSegmentation.PolygonPolicy.PYCOCOTOOLS);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": annotation " + id + ": " + e.getMessage(), e);
            }
            JsonNode crowd = n.get("iscrowd");
            anns.add(new CocoAnnotation(id, img, longField(n, "category_id", file, "annotation " + id), mask, n.get("area").asDouble(),
                    crowd != null && crowd.asInt() != 0, Double.NaN));
        }
        return new CocoDataset(images, cats, anns);
    }

    static long longField(JsonNode n, String key, Object file, String what) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber())
            throw new IllegalArgumentException(file + ": " + what + " needs an integer '" + key + "', got " + (v == null ? "nothing" : v.toString()));
        return v.asLong();
    }
}
