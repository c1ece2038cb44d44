package org.calico.eval.coco;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.calico.mask.CocoSegmentation;
import org.calico.mask.Rle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Detection results as {@code COCO.loadRes} builds them for segmentation: {@code id = index + 1}, {@code iscrowd = 0},
 * {@code area = mask area} - unless the first result has a non-empty {@code bbox}, in which case pycocotools takes
 * the bbox branch and every {@code area} is {@code bbox[2] * bbox[3]} (reproduced). Every {@code image_id} must be in
 * the ground truth ("Results do not correspond to current coco set").
 *
 * <p>Extension: besides compressed RLE (the only form pycocotools' {@code maskUtils.area} accepts) the segmentation
 * may be uncompressed RLE or polygons (rasterised on the GT image size). An empty result list is accepted (AP 0 where
 * GT exists) where pycocotools raises IndexError.
 */
public final class CocoResults {
    private CocoResults() {}

    public static List<CocoAnnotation> read(Path file, CocoDataset gt) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("results file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot parse results file " + file + ": " + e.getMessage(), e);
        }
        try {
            return load(root, gt);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static List<CocoAnnotation> load(JsonNode anns, CocoDataset gt) {
        if (anns == null || !anns.isArray()) throw new IllegalArgumentException("results in not an array of objects");
        boolean bboxBranch = anns.size() > 0 && anns.get(0).has("bbox") && anns.get(0).get("bbox").isArray() && anns.get(0).get("bbox").size() > 0;
        if (anns.size() > 0 && !bboxBranch && !anns.get(0).has("segmentation"))
            throw new IllegalArgumentException("segm results need 'segmentation' (compressed RLE) in every result");
        List<CocoAnnotation> out = new ArrayList<>(anns.size());
        for (int i = 0; i < anns.size(); i++) {
            JsonNode a = anns.get(i);
            String what = "result #" + i;
            long img = CocoDataset.longField(a, "image_id", "results", what);
            CocoDataset.Image im = gt.images().get(img);
            if (im == null) throw new IllegalArgumentException("Results do not correspond to current coco set: " + what + " has image_id " + img + ", not in the ground truth");
            long cat = CocoDataset.longField(a, "category_id", "results", what);
            JsonNode sc = a.get("score");
            if (sc == null || !sc.isNumber()) throw new IllegalArgumentException(what + " needs a numeric 'score'");
            Rle mask;
            try {
                if (a.has("segmentation")) mask = CocoSegmentation.toRle(a.get("segmentation"), im.height(), im.width(), CocoSegmentation.PolygonPolicy.PYCOCOTOOLS);
                else mask = bboxPolygon(a, im, what); // bbox branch without a segmentation: [[x1,y1,x1,y2,x2,y2,x2,y1]]
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
            }
            double area;
            if (bboxBranch) {
                JsonNode bb = a.get("bbox");
                if (bb == null || !bb.isArray() || bb.size() != 4) throw new IllegalArgumentException(what + " needs a 4-number 'bbox' (the first result has one)");
                area = bb.get(2).asDouble() * bb.get(3).asDouble();
            } else {
                area = mask.area();
            }
            out.add(new CocoAnnotation(i + 1, img, cat, mask, area, false, sc.asDouble()));
        }
        return out;
    }

    private static Rle bboxPolygon(JsonNode a, CocoDataset.Image im, String what) {
        JsonNode bb = a.get("bbox");
        if (bb == null || bb.size() != 4) throw new IllegalArgumentException(what + " needs 'segmentation' or a 4-number 'bbox'");
        double x1 = bb.get(0).asDouble(), y1 = bb.get(1).asDouble(), x2 = x1 + bb.get(2).asDouble(), y2 = y1 + bb.get(3).asDouble();
        return org.calico.mask.Polygons.frPoly(new double[] {x1, y1, x1, y2, x2, y2, x2, y1}, im.height(), im.width());
    }
}
