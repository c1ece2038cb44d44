package org.calico.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.calico.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command: {@code ./calico demo} with the embedded model writes overlays and JSON for the three tasks. */
class DemoCommandTest {
    @Test
    void demoWritesOverlaysAndJsonForTheThreeTasks(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("demo");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("demo", "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("model: embedded calico-tiny, 18 min"), text);
        for (String task : new String[] {"common-object", "common-parts", "unique-parts"}) {
            assertTrue(text.contains("[" + task + "]"), text);
            Path d = out.resolve(task);
            JsonNode j = new ObjectMapper().readTree(d.resolve("result.json").toFile());
            assertTrue(j.toString().contains("\"counts\""), task + ": no RLE mask in result.json: " + j);
            for (int k = 1; k <= 2; k++) {
                RgbImage ov = RgbImage.read(d.resolve("overlay_" + k + ".png"));
                assertEquals(384, ov.width(), "128 px inputs are drawn 3x for legibility");
                assertEquals(384, ov.height());
            }
            // the overlay is the input with masks drawn on it, not the input alone
            RgbImage in = RgbImage.read(Files.list(out.resolve("inputs").resolve("images").resolve("demo"))
                    .filter(p -> p.getFileName().toString().endsWith("-1.png")).sorted().toList().get(taskIndex(task)));
            RgbImage ov = RgbImage.read(d.resolve("overlay_1.png"));
            byte[] up = new byte[384 * 384 * 3];
            for (int y = 0; y < 384; y++)
                for (int x = 0; x < 384; x++) System.arraycopy(in.hwc(), ((y / 3) * 128 + x / 3) * 3, up, (y * 384 + x) * 3, 3);
            assertFalse(Arrays.equals(up, ov.hwc()), task + ": nothing drawn on the overlay");
        }
    }

    private static int taskIndex(String task) {
        return switch (task) {
            case "common-object" -> 0;
            case "common-parts" -> 1;
            default -> 2;
        };
    }
}
