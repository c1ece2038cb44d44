package org.calico.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Group;
import org.calico.api.Overlays;
import org.calico.api.Segment;
import org.calico.api.Task;
import org.calico.image.RgbImage;
import org.calico.mask.CocoRle;
import org.calico.tensor.DType;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "segment", mixinStandardHelpOptions = true,
        description = "Co-segment two or more images: prints the grounded answer and writes one overlay PNG per image (one colour "
                + "per correspondence group), the masks as COCO RLE in result.json, and the groups.")
public final class SegmentCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "tiny", description = "'tiny' (embedded default) or a CALICO checkpoint directory")
    String model;

    @Option(names = "--task", description = "common-object | common-parts | unique-parts")
    String task;

    @Option(names = "--instruction", description = "a free-form instruction instead of --task (may name images as (IMAGE1) ...)")
    String instruction;

    @Option(names = "--image", required = true, description = "an input image (repeat: at least 2)")
    List<Path> images;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--overlay-scale", defaultValue = "1", description = "draw the overlays N times the image size (nearest "
            + "neighbour), for small images (default: ${DEFAULT-VALUE}); masks in result.json keep the image size") int overlayScale;

    @Option(names = "--dtype", defaultValue = "f32") String dtype;
    @Option(names = "--threads", description = "LibTorch/OpenBLAS threads (default 1 for the tiny model)") Integer threads;

    @Override public Integer call() throws Exception {
        if (images.size() < 2) throw new IllegalArgumentException("--image: co-segmentation needs at least 2 images, got " + images.size());
        if ((task == null) == (instruction == null)) throw new IllegalArgumentException("give exactly one of --task or --instruction");
        Task t = task == null ? null : Task.parse(task);
        List<RgbImage> imgs = new ArrayList<>();
        for (Path p : images) imgs.add(RgbImage.read(p));
        int th = threads != null ? threads : (model.equals("tiny") ? 1 : Runtime.getRuntime().availableProcessors());
        try (CoSegmenter seg = CoSegmenter.builder().model(model).dtype(DType.parse(dtype)).threads(th).build()) {
            long t0 = System.nanoTime();
            CoSegmentation r = t != null ? seg.segment(imgs, t) : seg.segment(imgs, instruction);
            double ms = (System.nanoTime() - t0) / 1e6;
            write(r, imgs, images, out, overlayScale);
            System.out.println("instruction: " + r.instruction().replace("\n", " "));
            System.out.println("answer:      " + r.answer());
            for (Group g : r.groups()) {
                StringBuilder sb = new StringBuilder("  " + g.kind() + " '" + g.label() + "':");
                for (Segment s : r.membersOf(g)) sb.append(" (IMAGE").append(s.imageIndex() + 1).append(") ").append(s.area()).append(" px");
                System.out.println(sb);
            }
            for (String p : r.problems()) System.out.println("  note: " + p);
            System.out.printf(java.util.Locale.ROOT, "wrote %s (%.0f ms)%n", out.toAbsolutePath(), ms);
        }
        return 0;
    }

    /** overlay_<k>.png per image and result.json. */
    static void write(CoSegmentation r, List<RgbImage> imgs, List<Path> names, Path out, int overlayScale) throws java.io.IOException {
        Files.createDirectories(out);
        List<RgbImage> ov = Overlays.render(r, imgs, overlayScale);
        for (int i = 0; i < ov.size(); i++) ov.get(i).writePng(out.resolve("overlay_" + (i + 1) + ".png"));
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("instruction", r.instruction());
        root.put("answer", r.answer());
        ArrayNode ims = root.putArray("images");
        for (int i = 0; i < imgs.size(); i++) {
            ObjectNode n = ims.addObject();
            n.put("path", names == null ? "" : names.get(i).toString());
            n.put("width", imgs.get(i).width());
            n.put("height", imgs.get(i).height());
            n.put("overlay", "overlay_" + (i + 1) + ".png");
        }
        ArrayNode segs = root.putArray("segments");
        for (Segment s : r.segments()) {
            ObjectNode n = segs.addObject();
            n.put("label", s.label());
            n.put("image", s.imageIndex());
            n.put("group", s.group());
            n.put("score", s.score());
            n.put("area", s.area());
            ArrayNode bb = n.putArray("bbox");
            for (double v : s.mask().bbox()) bb.add(v);
            n.set("mask", om.valueToTree(CocoRle.of(s.mask())));
        }
        ArrayNode gs = root.putArray("groups");
        for (Group g : r.groups()) {
            ObjectNode n = gs.addObject();
            n.put("kind", g.kind().name().toLowerCase(java.util.Locale.ROOT));
            n.put("label", g.label());
            ArrayNode m = n.putArray("segments");
            g.members().forEach(m::add);
        }
        ArrayNode pr = root.putArray("problems");
        r.problems().forEach(pr::add);
        Files.writeString(out.resolve("result.json"), om.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }
}
