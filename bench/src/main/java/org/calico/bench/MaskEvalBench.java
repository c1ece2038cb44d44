package org.calico.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.calico.data.synth.SynthCategory;
import org.calico.data.synth.SynthGenerator;
import org.calico.eval.coco.CocoAnnotation;
import org.calico.eval.coco.CocoDataset;
import org.calico.eval.coco.CocoEval;
import org.calico.mask.Polygons;
import org.calico.mask.Rle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * COCO mask ops, COCOeval and synthetic rendering. The workloads are defined by formulas that
 * {@code bench/mask_eval_pycocotools.py} reproduces exactly, for a side-by-side with pycocotools 2.0.11.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class MaskEvalBench {
    double[] poly;
    Rle a, b;
    CocoDataset gt;
    List<CocoAnnotation> dt;
    SynthGenerator synth;

    /** 24 vertices on a modulated ellipse around (320, 240) on a 480x640 image. */
    static double[] polygon(double dx) {
        double[] xy = new double[48];
        for (int i = 0; i < 24; i++) {
            double t = 2 * Math.PI * i / 24, r = 1 + 0.2 * Math.sin(5 * t);
            xy[2 * i] = 320 + dx + 200 * r * Math.cos(t);
            xy[2 * i + 1] = 240 + 150 * r * Math.sin(t);
        }
        return xy;
    }

    static Rle rect(int h, int w, int y0, int x0, int rh, int rw) {
        boolean[] m = new boolean[h * w];
        for (int y = y0; y < Math.min(h, y0 + rh); y++) for (int x = x0; x < Math.min(w, x0 + rw); x++) m[y * w + x] = true;
        return Rle.encode(m, h, w);
    }

    @Setup public void setup() {
        poly = polygon(0);
        a = Polygons.frPoly(poly, 480, 640);
        b = Polygons.frPoly(polygon(10), 480, 640);
        // COCOeval: 200 images 128x128, 5 GT and 8 detections per image (formula-defined rectangles and scores)
        List<CocoDataset.Image> ims = new ArrayList<>();
        List<CocoAnnotation> g = new ArrayList<>(), d = new ArrayList<>();
        long gid = 1, did = 1;
        for (int i = 0; i < 200; i++) {
            ims.add(new CocoDataset.Image(i + 1, 128, 128));
            for (int j = 0; j < 5; j++) {
                Rle m = rect(128, 128, (i * 7 + j * 13) % 100, (i * 11 + j * 5) % 100, 10 + (i + j) % 20, 10 + (i * 3 + j) % 20);
                g.add(new CocoAnnotation(gid++, i + 1, 1, m, m.area(), false, Double.NaN));
            }
            for (int j = 0; j < 8; j++) {
                Rle m = rect(128, 128, (i * 7 + j * 13 + j % 3) % 100, (i * 11 + j * 5 + 2) % 100, 10 + (i + j) % 20, 12 + (i * 3 + j) % 20);
                d.add(new CocoAnnotation(did++, i + 1, 1, m, m.area(), false, ((i * 31 + j * 17) % 10) / 10.0));
            }
        }
        gt = new CocoDataset(ims, List.of(1L), g);
        dt = d;
        synth = new SynthGenerator(SynthGenerator.Options.defaults());
    }

    @Benchmark public Rle polygonToRle() {
        return Polygons.frPoly(poly, 480, 640);
    }

    @Benchmark public double rleIou() {
        return Rle.iou(a, b, false);
    }

    @Benchmark public String rleToString() {
        return a.toCompressedString();
    }

    @Benchmark public double[] cocoEval200Images() {
        return CocoEval.run(gt, dt);
    }

    @Benchmark public Object synthRender128() {
        return synth.render(new SplittableRandom(42), List.of(SynthCategory.CHAIR));
    }
}
