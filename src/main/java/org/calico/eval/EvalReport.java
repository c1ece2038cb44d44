package org.calico.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import javax.imageio.ImageIO;

import org.calico.data.Jsonl;

import com.fasterxml.jackson.databind.SerializationFeature;

/** Writes an {@link EvalResult} as {@code metrics.json}, {@code metrics.md} and {@code low-tail.png}. */
public final class EvalReport {
    private EvalReport() {}

    public static void write(EvalResult r, Path dir) {
        try {
            Files.createDirectories(dir);
            Jsonl.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("metrics.json").toFile(), r);
            Files.writeString(dir.resolve("metrics.md"), markdown(r));
            ImageIO.write(plot(r.lowTail()), "png", dir.resolve("low-tail.png").toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the evaluation report into " + dir + ": " + e.getMessage(), e);
        }
    }

    static String f(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    public static String markdown(EvalResult r) {
        StringBuilder sb = new StringBuilder("# MixedParts evaluation\n\n");
        sb.append("| task | samples | mIoU | AP50 | Recall | SS | S-IoU |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, EvalResult.Scores> e : r.tasks().entrySet()) row(sb, e.getKey(), e.getValue());
        row(sb, "**overall**", r.overall());
        sb.append("\nAll numbers in percent. SS = Semantic Similarity, S-IoU = Semantic IoU.\n\n## Options\n\n");
        r.options().forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        sb.append("\n## Low-tail analysis (recall vs object-part frequency, ").append(r.lowTail().frequencySource()).append(")\n\n");
        sb.append("| frequency | categories | GT part segments | TP | Recall |\n|---|---:|---:|---:|---:|\n");
        for (EvalResult.Bin b : r.lowTail().bins())
            sb.append(String.format(Locale.ROOT, "| %d-%d | %d | %d | %d | %s |%n", b.minFrequency(), b.maxFrequency(), b.categories(), b.gtSegments(),
                    b.truePositives(), f(b.recall())));
        if (!r.warnings().isEmpty()) {
            sb.append("\n## Warnings\n\n");
            for (String w : r.warnings()) sb.append("- ").append(w).append('\n');
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, EvalResult.Scores s) {
        sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |%n", name, s.samples(), f(s.miou()), f(s.ap50()), f(s.recall()),
                f(s.semanticSimilarity()), f(s.semanticIou())));
    }

    /** A bar chart of recall per frequency bin (640x400). Text is skipped where the JVM has no usable font. */
    static BufferedImage plot(EvalResult.LowTail lt) {
        int W = 640, H = 400, left = 60, right = 20, top = 40, bottom = 70;
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        int pw = W - left - right, ph = H - top - bottom;
        g.setColor(new Color(230, 230, 230));
        for (int t = 0; t <= 100; t += 20) {
            int y = top + ph - t * ph / 100;
            g.drawLine(left, y, left + pw, y);
        }
        int n = lt.bins().size();
        for (int i = 0; i < n; i++) {
            EvalResult.Bin b = lt.bins().get(i);
            int bw = pw / Math.max(n, 1), x = left + i * bw + bw / 8, w = bw * 3 / 4;
            double rec = Double.isNaN(b.recall()) ? 0 : b.recall();
            int h = (int) Math.round(rec * ph / 100);
            g.setColor(new Color(70, 110, 180));
            g.fillRect(x, top + ph - h, w, h);
            text(g, String.format(Locale.ROOT, "%.1f", rec), x + w / 2 - 12, top + ph - h - 4);
            text(g, b.minFrequency() + "-" + b.maxFrequency(), x + w / 2 - 16, top + ph + 18);
            text(g, "(" + b.categories() + " cats)", x + w / 2 - 22, top + ph + 34);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.5f));
        g.drawLine(left, top, left, top + ph);
        g.drawLine(left, top + ph, left + pw, top + ph);
        for (int t = 0; t <= 100; t += 20) text(g, Integer.toString(t), left - 30, top + ph - t * ph / 100 + 5);
        text(g, "Recall (%) vs training frequency of the object-part category", left, 24);
        text(g, "object-part frequency bins (" + lt.frequencySource() + ")", left + pw / 2 - 120, H - 12);
        g.dispose();
        return img;
    }

    private static void text(Graphics2D g, String s, int x, int y) {
        try {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            g.drawString(s, x, y);
        } catch (Throwable t) { // headless JVM without fonts: the bars still carry the data
        }
    }
}
