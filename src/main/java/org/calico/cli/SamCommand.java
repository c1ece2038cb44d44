package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.calico.image.MaskPng;
import org.calico.image.Overlay;
import org.calico.image.RgbImage;
import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.mask.Rle;
import org.calico.nn.KeyMapping;
import org.calico.runtime.CalicoRuntime;
import org.calico.sam.SamConfig;
import org.calico.sam.SamMappings;
import org.calico.sam.SamModel;
import org.calico.sam.SamPrediction;
import org.calico.sam.SamPredictor;
import org.calico.sam.SamPrompt;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./calico sam}: segments an image with a SAM checkpoint from point and/or box prompts and writes
 * {@code mask_<i>.png}, {@code overlay.png} and {@code result.json} (COCO RLE, area, bbox, predicted IoU, prompts).
 */
@Command(name = "sam", mixinStandardHelpOptions = true,
        description = {"Segment an image with SAM (Segment Anything) from point and box prompts.",
                "Writes mask_<i>.png (binary), overlay.png and result.json (COCO RLE, area, bbox, predicted IoU, prompts) to --out.",
                "Without --multimask one mask is returned: for a single point the best of SAM's three candidates by predicted IoU,"
                        + " otherwise SAM's single-mask output."})
public final class SamCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "SAM weights: .safetensors (original, GLaMM/CALICO or HF facebook/sam-vit-* names), a sharded index, "
                    + "or a torch zip checkpoint holding a plain dict")
    Path checkpoint;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "PNG/JPEG/BMP/GIF image")
    Path image;

    @Option(names = "--point", paramLabel = "x,y[,label]", converter = PointConverter.class,
            description = "a point prompt in image pixels; label 1 = foreground (default), 0 = background; repeatable")
    List<Coords> points = new ArrayList<>();

    @Option(names = "--box", paramLabel = "x0,y0,x1,y1", converter = BoxConverter.class, description = "a box prompt in image pixels")
    Coords box;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (created)")
    Path out;

    @Option(names = "--multimask", description = "return SAM's three candidate masks instead of one")
    boolean multimask;

    @Option(names = "--mapping", defaultValue = "auto", paramLabel = "NAME",
            description = "checkpoint naming: auto (default), original, glamm, hf")
    String mapping;

    @Option(names = "--decoder-heads", defaultValue = "8", paramLabel = "N",
            description = "mask decoder attention heads (not stored in checkpoints; 8 for every released SAM)")
    int decoderHeads;

    @Override public Integer call() {
        CalicoRuntime.init();
        if (points.isEmpty() && box == null) throw new IllegalArgumentException("give at least one --point or a --box prompt");
        RgbImage img = RgbImage.read(image);
        SamPrompt.Builder pb = SamPrompt.builder();
        for (Coords p : points) pb.point(p.v[0], p.v[1], (int) p.v[2]);
        if (box != null) pb.box(box.v[0], box.v[1], box.v[2], box.v[3]);
        SamPrompt prompt = pb.build();
        checkInside(prompt, img);

        if (!Files.isRegularFile(checkpoint) && !Files.isDirectory(checkpoint))
            throw new IllegalArgumentException("checkpoint not found: " + checkpoint);
        long t0 = System.nanoTime();
        SamModel model;
        KeyMapping m;
        try (TensorSource src = SafeTensors.open(checkpoint)) {
            m = "auto".equalsIgnoreCase(mapping) ? SamMappings.detectOrThrow(src) : SamMappings.named(mapping);
            SamConfig cfg = SamConfig.inferFrom(src, m, decoderHeads);
            model = new SamModel(cfg);
            try {
                model.load(src, m, false);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        long t1 = System.nanoTime();
        SamPrediction r;
        long t2, t3;
        try (model; SamPredictor predictor = new SamPredictor(model)) {
            predictor.setImage(img);
            t2 = System.nanoTime();
            r = multimask ? predictor.predict(prompt, true, false) : predictor.predictBest(prompt, false);
            t3 = System.nanoTime();
        }
        write(img, prompt, r, m, model.config);
        java.io.PrintWriter console = spec.commandLine().getOut();
        console.printf(Locale.ROOT, "sam: %d mask(s) for %dx%d %s -> %s (load %.1f s, encode %.2f s, decode %.3f s)%n", r.count(), img.width(),
                img.height(), image.getFileName(), out, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
        for (int i = 0; i < r.count(); i++)
            console.printf(Locale.ROOT, "  mask_%d.png  predicted IoU %.4f  area %d%n", i, r.iouPrediction(i), r.area(i));
        console.flush();
        return 0;
    }

    private static void checkInside(SamPrompt p, RgbImage img) {
        double[] pts = p.points();
        for (int i = 0; i < pts.length; i += 2)
            if (pts[i] < 0 || pts[i + 1] < 0 || pts[i] >= img.width() || pts[i + 1] >= img.height())
                throw new IllegalArgumentException(String.format(Locale.ROOT, "--point %s,%s is outside the image (%d x %d pixels: x in [0, %d), y in [0, %d))",
                        num(pts[i]), num(pts[i + 1]), img.width(), img.height(), img.width(), img.height()));
        if (p.hasBox()) {
            double[] b = p.box();
            if (b[0] < 0 || b[1] < 0 || b[2] > img.width() || b[3] > img.height())
                throw new IllegalArgumentException(String.format(Locale.ROOT, "--box %s,%s,%s,%s is outside the image (%d x %d pixels)",
                        num(b[0]), num(b[1]), num(b[2]), num(b[3]), img.width(), img.height()));
        }
    }

    private static String num(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }

    private void write(RgbImage img, SamPrompt prompt, SamPrediction r, KeyMapping m, SamConfig cfg) {
        try {
            Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot create output folder " + out + ": " + e.getMessage(), e);
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("image", image.toString());
        root.put("height", img.height());
        root.put("width", img.width());
        root.put("checkpoint", checkpoint.toString());
        root.put("mapping", m.name());
        ObjectNode model = root.putObject("model");
        model.put("img_size", cfg.imgSize());
        model.put("encoder_embed_dim", cfg.imageEncoder().embedDim());
        model.put("encoder_depth", cfg.imageEncoder().depth());
        model.put("encoder_num_heads", cfg.imageEncoder().numHeads());
        ObjectNode prompts = root.putObject("prompts");
        ArrayNode pts = prompts.putArray("points");
        double[] pp = prompt.points();
        int[] labels = prompt.labels();
        List<Overlay.Marker> markers = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            ObjectNode o = pts.addObject();
            o.put("x", pp[2 * i]);
            o.put("y", pp[2 * i + 1]);
            o.put("label", labels[i]);
            markers.add(new Overlay.Marker(pp[2 * i], pp[2 * i + 1], labels[i]));
        }
        if (prompt.hasBox()) {
            ArrayNode b = prompts.putArray("box");
            for (double v : prompt.box()) b.add(v);
        } else {
            prompts.putNull("box");
        }
        root.put("multimask", multimask);
        ArrayNode masks = root.putArray("masks");
        List<boolean[]> drawn = new ArrayList<>();
        for (int i = 0; i < r.count(); i++) {
            boolean[] mask = r.mask(i);
            drawn.add(mask);
            String file = "mask_" + i + ".png";
            MaskPng.write(out.resolve(file), mask, img.height(), img.width());
            Rle rle = Rle.encode(mask, img.height(), img.width());
            ObjectNode o = masks.addObject();
            o.put("index", i);
            o.put("file", file);
            o.put("predicted_iou", r.iouPrediction(i));
            o.put("area", rle.area());
            ArrayNode bb = o.putArray("bbox");
            for (double v : rle.bbox()) bb.add(v);
            ObjectNode seg = o.putObject("segmentation");
            seg.putArray("size").add(img.height()).add(img.width());
            seg.put("counts", rle.toCompressedString());
        }
        Overlay.render(img, drawn, 0.45, markers, prompt.box()).writePng(out.resolve("overlay.png"));
        try {
            json.writeValue(out.resolve("result.json").toFile(), root);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot write " + out.resolve("result.json") + ": " + e.getMessage(), e);
        }
    }

    /** A parsed option value: {x, y, label} or {x0, y0, x1, y1}. */
    record Coords(double[] v) {}

    /** "x,y" or "x,y,label" -> {x, y, label}. */
    static final class PointConverter implements CommandLine.ITypeConverter<Coords> {
        @Override public Coords convert(String s) {
            String[] p = s.split(",");
            if (p.length != 2 && p.length != 3) throw new CommandLine.TypeConversionException("expected x,y or x,y,label, got '" + s + "'");
            try {
                double x = Double.parseDouble(p[0].trim()), y = Double.parseDouble(p[1].trim());
                int label = p.length == 3 ? Integer.parseInt(p[2].trim()) : 1;
                if (!Double.isFinite(x) || !Double.isFinite(y)) throw new NumberFormatException();
                if (label != 0 && label != 1)
                    throw new CommandLine.TypeConversionException("point label must be 1 (foreground) or 0 (background), got '" + s + "'");
                return new Coords(new double[] {x, y, label});
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("expected numbers x,y[,label], got '" + s + "'");
            }
        }
    }

    /** "x0,y0,x1,y1" -> box. */
    static final class BoxConverter implements CommandLine.ITypeConverter<Coords> {
        @Override public Coords convert(String s) {
            String[] p = s.split(",");
            if (p.length != 4) throw new CommandLine.TypeConversionException("expected x0,y0,x1,y1, got '" + s + "'");
            double[] b = new double[4];
            try {
                for (int i = 0; i < 4; i++) b[i] = Double.parseDouble(p[i].trim());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("expected numbers x0,y0,x1,y1, got '" + s + "'");
            }
            for (double v : b) if (!Double.isFinite(v)) throw new CommandLine.TypeConversionException("box values must be finite, got '" + s + "'");
            if (b[2] < b[0] || b[3] < b[1]) throw new CommandLine.TypeConversionException("box needs x0 <= x1 and y0 <= y1, got '" + s + "'");
            return new Coords(b);
        }
    }
}
