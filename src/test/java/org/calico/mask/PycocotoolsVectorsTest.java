package org.calico.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Bit-exact cross-checks against pycocotools 2.0.11 (vectors made by scripts/gen_mask_vectors.py) plus the spec's
 * §5.5/5.9 polygon vectors and the error paths.
 */
class PycocotoolsVectorsTest {
    static final ObjectMapper M = new ObjectMapper();
    static JsonNode V;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = PycocotoolsVectorsTest.class.getResourceAsStream("pycocotools-vectors.json")) {
            V = M.readTree(in);
        }
    }

    static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    @Test
    void specPolygonVectors() {
        Rle sq = Polygons.fromPolygons(List.of(new double[] {2, 2, 6, 2, 6, 6, 2, 6}), 10, 12);
        assertEquals("f04600000j1", sq.toCompressedString());
        assertEquals(16, sq.area());
        assertArrayEquals(new double[] {2, 2, 4, 4}, sq.bbox());
        Rle half = Polygons.frPoly(new double[] {0.5, 0.5, 3.5, 0.5, 3.5, 2.5, 0.5, 2.5}, 10, 12);
        assertEquals(";28000_2", half.toCompressedString());
        assertEquals(6, half.area());
        assertArrayEquals(new double[] {1, 1, 3, 2}, half.bbox());
        Rle tri = Polygons.frPoly(new double[] {1.5, 1.2, 8.7, 2.3, 4.1, 9.6}, 10, 12);
        assertEquals("e0382M2NN2O1N2Om0", tri.toCompressedString());
        assertEquals(27, tri.area());
        assertArrayEquals(new double[] {2, 1, 7, 8}, tri.bbox());
        // repeated vertices: zero-length edges give NaN slopes that are never read
        assertEquals("e0382M2NN2O1N2Om0", Polygons.frPoly(new double[] {1.5, 1.2, 8.7, 2.3, 8.7, 2.3, 4.1, 9.6}, 10, 12).toCompressedString());
        assertEquals("f04600000j1", Polygons.frPoly(new double[] {2, 2, 6, 2, 6, 2, 6, 6, 2, 6, 2, 2}, 10, 12).toCompressedString());
    }

    @Test
    void polygonsMatchPycocotools() {
        int n = 0;
        for (JsonNode c : V.get("polygons")) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            List<double[]> polys = new ArrayList<>();
            for (JsonNode p : c.get("polygons")) polys.add(doubles(p));
            Rle r = Polygons.fromPolygons(polys, h, w);
            String ctx = "case " + n + " " + c;
            assertEquals(c.get("counts").asText(), r.toCompressedString(), ctx);
            assertEquals(c.get("area").asLong(), r.area(), ctx);
            assertArrayEquals(doubles(c.get("bbox")), r.bbox(), ctx);
            n++;
        }
        assertEquals(300, n);
    }

    @Test
    void boxesMatchPycocotools() {
        for (JsonNode c : V.get("boxes")) {
            Rle r = Polygons.frBbox(doubles(c.get("bbox_in")), c.get("h").asInt(), c.get("w").asInt());
            assertEquals(c.get("counts").asText(), r.toCompressedString(), c.toString());
            assertEquals(c.get("area").asLong(), r.area(), c.toString());
        }
    }

    @Test
    void encodeAreaBboxMatchPycocotools() {
        for (JsonNode c : V.get("masks")) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            boolean[] m = new boolean[h * w];
            for (int y = 0; y < h; y++) {
                String row = c.get("rows").get(y).asText();
                for (int x = 0; x < w; x++) m[y * w + x] = row.charAt(x) == '1';
            }
            Rle r = Rle.encode(m, h, w);
            assertEquals(c.get("counts").asText(), r.toCompressedString(), c.toString());
            assertEquals(c.get("area").asLong(), r.area());
            assertArrayEquals(doubles(c.get("bbox")), r.bbox(), c.toString());
            assertArrayEquals(m, Rle.fromCompressedString(c.get("counts").asText(), h, w).decode());
        }
    }

    @Test
    void mergesMatchPycocotools() {
        for (JsonNode c : V.get("merges")) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            List<Rle> in = new ArrayList<>();
            for (JsonNode s : c.get("inputs")) in.add(Rle.fromCompressedString(s.asText(), h, w));
            assertEquals(c.get("union").asText(), Rle.merge(in, false).toCompressedString(), c.toString());
            assertEquals(c.get("intersection").asText(), Rle.merge(in, true).toCompressedString(), c.toString());
        }
        assertEquals(0, Rle.merge(List.of(), false).height());
        assertEquals(0, Rle.merge(List.of(Rle.empty(2, 2), Rle.empty(3, 2)), false).height());
    }

    @Test
    void iousMatchPycocotools() {
        for (JsonNode c : V.get("ious")) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            JsonNode dt = c.get("dt"), gt = c.get("gt"), iou = c.get("iou");
            for (int d = 0; d < dt.size(); d++)
                for (int g = 0; g < gt.size(); g++) {
                    double v = Rle.iou(Rle.fromCompressedString(dt.get(d).asText(), h, w), Rle.fromCompressedString(gt.get(g).asText(), h, w),
                            c.get("iscrowd").get(g).asInt() == 1);
                    assertEquals(iou.get(d).get(g).asDouble(), v, 0.0, c.toString());
                }
        }
    }

    @Test
    void uncompressedRleMatchesPycocotools() throws Exception {
        for (JsonNode c : V.get("uncompressed")) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            JsonNode seg = M.readTree("{\"size\":[" + h + "," + w + "],\"counts\":" + c.get("counts_in") + "}");
            Rle r = CocoSegmentation.toRle(seg, 0, 0, CocoSegmentation.PolygonPolicy.STRICT);
            assertEquals(c.get("counts").asText(), r.toCompressedString(), c.toString());
            assertEquals(c.get("area").asLong(), r.area());
        }
    }

    @Test
    void threeSegmentationForms() throws Exception {
        Rle poly = CocoSegmentation.toRle(M.readTree("[[2,2,6,2,6,6,2,6]]"), 10, 12, CocoSegmentation.PolygonPolicy.STRICT);
        Rle unc = CocoSegmentation.toRle(M.readTree("{\"size\":[10,12],\"counts\":" + java.util.Arrays.toString(poly.counts()) + "}"), 1, 1,
                CocoSegmentation.PolygonPolicy.STRICT);
        Rle cmp = CocoSegmentation.toRle(M.readTree("{\"size\":[10,12],\"counts\":\"f04600000j1\"}"), 1, 1, CocoSegmentation.PolygonPolicy.STRICT);
        assertEquals(poly, unc);
        assertEquals(poly, cmp);
        CocoRle j = CocoRle.of(poly);
        assertEquals("{\"size\":[10,12],\"counts\":\"f04600000j1\"}", M.writeValueAsString(j));
        assertEquals(poly, M.readValue("{\"size\":[10,12],\"counts\":\"f04600000j1\"}", CocoRle.class).toRle());
    }

    @Test
    void degenerateAndMalformedInputGetClearErrors() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("[[1,1,5,5]]"), 10, 10, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("degenerate polygon #0: 4 coordinates"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("[[1,1,5,5,2,8],[1,2,3,4,5]]"), 10, 10, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("degenerate polygon #1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("[[1,1,5,5,2,8,3]]"), 10, 10, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("odd number of coordinates (7)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("[[1,1,5,5]]"), 10, 10, CocoSegmentation.PolygonPolicy.PYCOCOTOOLS));
        assertTrue(e.getMessage().contains("box"), e.getMessage());
        assertNull(CocoSegmentation.toRle(M.readTree("[[1,1,5,5],[1,2]]"), 10, 10, CocoSegmentation.PolygonPolicy.DROP_DEGENERATE));
        Rle kept = CocoSegmentation.toRle(M.readTree("[[1,1,5,5],[2,2,6,2,6,6,2,6]]"), 10, 12, CocoSegmentation.PolygonPolicy.DROP_DEGENERATE);
        assertEquals("f04600000j1", kept.toCompressedString());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("{\"size\":[4,5],\"counts\":\"5{\"}"), 0, 0, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("malformed RLE string"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("{\"size\":[2,2],\"counts\":[1,5]}"), 0, 0, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("Invalid RLE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("{\"counts\":\"09\"}"), 0, 0, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("'size'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("{\"size\":[2,2],\"counts\":[1,-1]}"), 0, 0, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoSegmentation.toRle(M.readTree("[[1,1,5,5,\"x\",8]]"), 10, 10, CocoSegmentation.PolygonPolicy.STRICT));
        assertTrue(e.getMessage().contains("not a number"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CocoRle(List.of(3), "09"));
    }
}
