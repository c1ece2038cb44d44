package org.calico.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Overlays;
import org.calico.api.Segment;
import org.calico.data.Sample;
import org.calico.data.synth.SynthGenerator;
import org.calico.image.RgbImage;
import org.calico.mask.Rle;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.SamplePredictor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job on the embedded default: draws synthetic part-object image pairs (one per task), runs "
                + "calico-tiny for common object, common parts and unique parts, writes overlay PNGs and JSON, and prints the "
                + "answers next to the ground truth and where the files are.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "calico-demo", description = "output directory (default ./calico-demo)")
    Path out;

    @Option(names = "--seed", defaultValue = "2026", description = "which synthetic pairs to draw")
    long seed;

    @Option(names = "--model", defaultValue = "tiny", description = "'tiny' (embedded) or a CALICO checkpoint directory")
    String model;

    @Override public Integer call() throws Exception {
        long t0 = System.nanoTime();
        var info = CalicoCheckpoint.embeddedInfo();
        List<Sample> samples = new SynthGenerator(SynthGenerator.Options.defaults()).generateSplit(out.resolve("inputs"), "demo", 3, seed, false);
        try (CoSegmenter seg = CoSegmenter.builder().model(model).threads(1).build()) {
            if (model.equals("tiny") && info.has("produced_by")) {
                JsonNode o = info.path("metrics").path("overall");
                System.out.printf(Locale.ROOT, "model: embedded calico-tiny, %s; %s: mIoU %.1f, S-IoU %.1f (docs/training.md)%n",
                        info.path("produced_by").path("training_wall_clock").asText("?"), info.path("metrics").path("split").asText("?"),
                        o.path("mIoU").asDouble(), o.path("S-IoU").asDouble());
            }
            SamplePredictor loader = new SamplePredictor(seg, out.resolve("inputs"));
            for (Sample s : samples) {
                List<RgbImage> imgs = loader.images(s);
                CoSegmentation r = seg.segment(imgs, s.task());
                Path dir = out.resolve(s.task().id());
                List<Path> names = new ArrayList<>();
                for (var ref : s.images()) names.add(out.resolve("inputs").resolve(ref.path()));
                SegmentCommand.write(r, imgs, names, dir, Overlays.displayScale(imgs.get(0).height(), imgs.get(0).width(), 384));
                System.out.println();
                System.out.println("[" + s.task().id() + "] " + s.objects().stream().map(o -> "(IMAGE" + (o.image() + 1) + ") " + o.objectName()).toList());
                System.out.println("  answer:       " + r.answer());
                System.out.println("  ground truth: " + s.answer());
                for (int i = 0; i < r.segments().size(); i++) {
                    Segment p = r.segments().get(i);
                    double best = 0;
                    for (var g : s.segments())
                        if (g.image() == p.imageIndex()) best = Math.max(best, Rle.iou(p.mask(), g.mask().toRle(), false));
                    System.out.printf(Locale.ROOT, "    %-12s (IMAGE%d) %5d px, best IoU with a ground-truth mask %.2f%n", p.label(), p.imageIndex() + 1, p.area(), best);
                }
                for (String pr : r.problems()) System.out.println("    note: " + pr);
                System.out.println("  wrote " + dir.resolve("overlay_1.png") + ", " + dir.resolve("overlay_2.png") + ", " + dir.resolve("result.json"));
            }
        }
        System.out.printf(Locale.ROOT, "%ndone in %.1f s; inputs in %s%n", (System.nanoTime() - t0) / 1e9, out.resolve("inputs").toAbsolutePath());
        return 0;
    }
}
