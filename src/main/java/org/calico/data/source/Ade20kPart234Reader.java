package org.calico.data.source;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.calico.mask.CocoRle;
import org.calico.mask.Rle;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ADE20K-Part-234 (OV-PARTS): object instances from {@code ade20k_instance_<split>.json} ({@code category_id} =
 * 0-based index into the 44 object classes, {@code part_category_id} = the part classes present), parts from the
 * 16-bit semantic part PNGs in {@code annotations_detectron2_part/<training|validation>/<image>.png} (value = index
 * into the 234 part classes, 65535 = ignore). A part mask of an instance is {@code (png == id) AND instance mask}, as
 * OV-PARTS' object_part_mapper restricts parts to the object. Names: {@code "chair's leg"} -> chair / leg. The class
 * lists are a resource copied from {@code register_ade_part_234.py}. Part PNGs are read lazily (small cache).
 */
public final class Ade20kPart234Reader {
    private Ade20kPart234Reader() {}

    public static final List<String> OBJECTS, PARTS;

    static {
        List<String> o = new ArrayList<>(), p = new ArrayList<>();
        try (InputStream in = Ade20kPart234Reader.class.getResourceAsStream("ade20k-part234-classes.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> cur = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                if (line.equals("[objects]")) cur = o;
                else if (line.equals("[parts]")) cur = p;
                else cur.add(line);
            }
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing resource ade20k-part234-classes.txt", e);
        }
        if (o.size() != 44 || p.size() != 234) throw new IllegalStateException("ADE20K-Part-234 class lists: " + o.size() + " objects, " + p.size() + " parts");
        OBJECTS = List.copyOf(o);
        PARTS = List.copyOf(p);
    }

    public static final int IGNORE = 65535;

    /**
     * @param json      {@code ade20k_instance_train.json} or {@code _val.json}
     * @param imageDir  {@code images/training} or {@code images/validation}
     * @param partDir   {@code annotations_detectron2_part/training} or {@code .../validation}
     */
    public static SourceSet read(Path json, Path imageDir, Path partDir, String split) {
        Map<Long, JsonNode> images = new LinkedHashMap<>();
        Map<Long, List<JsonNode>> anns = new LinkedHashMap<>();
        CocoStream.read(json, Map.of(
                "images", n -> images.put(CocoStream.id(n, "id", json, "image"), n),
                "annotations", n -> anns.computeIfAbsent(CocoStream.id(n, "image_id", json, "annotation"), k -> new ArrayList<>()).add(n)));
        PngCache cache = new PngCache();
        int noParts = 0, mismatched = 0;
        List<SourceImage> out = new ArrayList<>();
        for (Map.Entry<Long, List<JsonNode>> e : anns.entrySet()) {
            JsonNode im = images.get(e.getKey());
            if (im == null) throw new IllegalArgumentException(json + ": annotations refer to image_id " + e.getKey() + ", which is not in 'images'");
            String file = CocoStream.text(im, "file_name", json, "image " + e.getKey());
            String base = file.substring(file.lastIndexOf('/') + 1);
            Path png = partDir.resolve(base.replaceAll("\\.[A-Za-z]+$", "") + ".png");
            int h = im.path("height").asInt(), w = im.path("width").asInt();
            List<SourceImage.SourceObject> objs = new ArrayList<>();
            for (JsonNode a : e.getValue()) {
                long cid = CocoStream.id(a, "category_id", json, "annotation " + a.path("id").asText());
                if (cid < 0 || cid >= OBJECTS.size())
                    throw new IllegalArgumentException(json + ": annotation " + a.path("id").asText() + " has category_id " + cid + ", expected 0..43");
                String object = OBJECTS.get((int) cid);
                CocoRle objMask = PacoLvisReader.mask(a, im, json);
                JsonNode pids = a.get("part_category_id");
                if (pids == null || pids.size() == 0) {
                    noParts++;
                    continue;
                }
                List<SourceImage.SourcePart> parts = new ArrayList<>();
                for (JsonNode pidNode : pids) {
                    int pid = pidNode.asInt(-1);
                    if (pid < 0 || pid >= PARTS.size())
                        throw new IllegalArgumentException(json + ": annotation " + a.path("id").asText() + " has part_category_id " + pidNode + ", expected 0..233");
                    Names.ObjectPart op = Names.split(PARTS.get(pid));
                    if (!op.object().equals(object)) mismatched++;
                    parts.add(new SourceImage.SourcePart(op.part(), () -> Rle.merge(partMask(cache.labels(png, h, w), pid, h, w), objMask.toRle(), true)));
                }
                objs.add(new SourceImage.SourceObject(object, null, objMask::toRle, parts));
            }
            if (!objs.isEmpty()) out.add(new SourceImage("ade20k-part234", split, "ade20k-part234/" + split + "/" + e.getKey(), imageDir.resolve(base), w, h, objs));
        }
        List<String> warn = new ArrayList<>();
        if (noParts > 0) warn.add(noParts + " object instance(s) without part_category_id skipped");
        if (mismatched > 0) warn.add(mismatched + " part id(s) name another object class than their instance (kept)");
        return new SourceSet("ade20k-part234/" + split, out, warn);
    }

    private static Rle partMask(int[] labels, int pid, int h, int w) {
        boolean[] m = new boolean[h * w];
        for (int i = 0; i < m.length; i++) m[i] = labels[i] == pid;
        return Rle.encode(m, h, w);
    }

    /** Reads a part PNG (16-bit or 8-bit grey) into row-major labels; 65535 = ignore. */
    public static int[] readLabels(Path png, int h, int w) {
        if (!Files.isRegularFile(png)) throw new IllegalArgumentException("part PNG not found: " + png);
        BufferedImage bi;
        try {
            bi = ImageIO.read(png.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read part PNG " + png + ": " + e.getMessage(), e);
        }
        if (bi == null) throw new IllegalArgumentException("not a readable PNG: " + png);
        if (bi.getHeight() != h || bi.getWidth() != w)
            throw new IllegalArgumentException("part PNG " + png + " is " + bi.getHeight() + "x" + bi.getWidth() + ", the image is " + h + "x" + w);
        if (bi.getRaster().getNumBands() != 1) throw new IllegalArgumentException("part PNG " + png + " must be single-channel, has " + bi.getRaster().getNumBands() + " bands");
        Raster r = bi.getRaster();
        int[] out = new int[h * w];
        r.getSamples(0, 0, w, h, 0, out);
        return out;
    }

    private static final class PngCache {
        private final Map<Path, int[]> lru = new LinkedHashMap<>(8, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<Path, int[]> e) {
                return size() > 8;
            }
        };

        synchronized int[] labels(Path png, int h, int w) {
            int[] l = lru.get(png);
            if (l == null) {
                l = readLabels(png, h, w);
                lru.put(png, l);
            }
            return l;
        }
    }
}
