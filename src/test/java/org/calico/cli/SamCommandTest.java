package org.calico.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.calico.image.MaskPng;
import org.calico.image.RgbImage;
import org.calico.io.SafeTensors;
import org.calico.mask.Rle;
import org.calico.sam.SamConfig;
import org.calico.sam.SamModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code ./calico sam} end to end on a tiny random checkpoint: outputs and every bad-input message. */
class SamCommandTest {
    @TempDir static Path dir;
    static Path ckpt, img;

    @BeforeAll
    static void setUp() {
        try (SamModel m = new SamModel(SamConfig.small(64, 8, 32, 2, 2, 4, List.of(1), 32, 64, 8))) {
            m.initRandom(5);
            ckpt = dir.resolve("tiny_sam.safetensors");
            SafeTensors.write(ckpt, m.stateDict());
        }
        byte[] px = new byte[45 * 70 * 3];
        new Random(9).nextBytes(px);
        img = dir.resolve("img.png");
        new RgbImage(45, 70, px).writePng(img);
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesMasksOverlayAndJson() throws Exception {
        Path out = dir.resolve("out1");
        Run r = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--point", "20,30", "--point", "50,10,0",
                "--box", "5,5,60,40", "--out", out.toString(), "--multimask");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("sam: 3 mask(s) for 70x45 img.png -> " + out), r.out());
        assertTrue(r.out().contains("mask_2.png  predicted IoU "), r.out());
        JsonNode j = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        assertEquals(45, j.get("height").asInt());
        assertEquals(70, j.get("width").asInt());
        assertEquals("sam-original", j.get("mapping").asText());
        assertEquals(2, j.get("prompts").get("points").size());
        assertEquals(0, j.get("prompts").get("points").get(1).get("label").asInt());
        assertEquals(60.0, j.get("prompts").get("box").get(2).asDouble());
        assertEquals(3, j.get("masks").size());
        for (int i = 0; i < 3; i++) {
            JsonNode m = j.get("masks").get(i);
            boolean[] png = MaskPng.read(out.resolve(m.get("file").asText()));
            Rle rle = Rle.fromCompressedString(m.get("segmentation").get("counts").asText(), 45, 70);
            assertArrayEquals(png, rle.decode(), "mask " + i + ": PNG and RLE disagree");
            assertEquals(rle.area(), m.get("area").asLong());
            assertEquals(45, m.get("segmentation").get("size").get(0).asInt());
            assertTrue(Double.isFinite(m.get("predicted_iou").asDouble()));
        }
        RgbImage overlay = RgbImage.read(out.resolve("overlay.png"));
        assertEquals(45, overlay.height());
        assertEquals(0, overlay.get(30, 20, 0));      // centre of the foreground marker is green
        assertEquals(200, overlay.get(30, 20, 1));

        Path out2 = dir.resolve("out2");
        Run single = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--point", "20,30", "--out", out2.toString());
        assertEquals(0, single.code(), single.err());
        JsonNode j2 = new ObjectMapper().readTree(out2.resolve("result.json").toFile());
        assertEquals(1, j2.get("masks").size());
        assertTrue(Files.exists(out2.resolve("mask_0.png")));
        assertTrue(!Files.exists(out2.resolve("mask_1.png")));
    }

    @Test
    void badInputsGiveOneClearLine() throws Exception {
        String o = dir.resolve("bad").toString();
        Run r = run("sam", "--checkpoint", ckpt.toString(), "--image", dir.resolve("missing.png").toString(), "--point", "1,1", "--out", o);
        assertEquals(2, r.code());
        assertEquals("error: image not found: " + dir.resolve("missing.png"), r.err().trim());

        Path corrupt = dir.resolve("corrupt.png");
        Files.write(corrupt, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        r = run("sam", "--checkpoint", ckpt.toString(), "--image", corrupt.toString(), "--point", "1,1", "--out", o);
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(corrupt.toString()), r.err());

        r = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--point", "70,10", "--out", o);
        assertEquals(2, r.code());
        assertEquals("error: --point 70,10 is outside the image (70 x 45 pixels: x in [0, 70), y in [0, 45))", r.err().trim());

        r = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--box", "0,0,80,10", "--out", o);
        assertEquals("error: --box 0,0,80,10 is outside the image (70 x 45 pixels)", r.err().trim());

        Path notSam = dir.resolve("not_sam.safetensors");
        try (var sd = new org.calico.io.StateDict()) {
            sd.put("model.embed_tokens.weight", org.calico.tensor.T.zeros(3, 2));
            SafeTensors.write(notSam, sd.asMap());
        }
        r = run("sam", "--checkpoint", notSam.toString(), "--image", img.toString(), "--point", "1,1", "--out", o);
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: " + notSam + ": not a SAM checkpoint: none of image_encoder.pos_embed"), r.err());

        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, new byte[] {1, 2, 3});
        r = run("sam", "--checkpoint", garbage.toString(), "--image", img.toString(), "--point", "1,1", "--out", o);
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(garbage.toString()), r.err());

        r = run("sam", "--checkpoint", dir.resolve("nope.safetensors").toString(), "--image", img.toString(), "--point", "1,1", "--out", o);
        assertEquals("error: checkpoint not found: " + dir.resolve("nope.safetensors"), r.err().trim());

        r = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--out", o);
        assertEquals("error: give at least one --point or a --box prompt", r.err().trim());

        r = run("sam", "--checkpoint", ckpt.toString(), "--image", img.toString(), "--point", "1;2", "--out", o);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("expected x,y or x,y,label, got '1;2'"), r.err());
        assertTrue(!Files.exists(Path.of(o, "result.json")));
    }
}
