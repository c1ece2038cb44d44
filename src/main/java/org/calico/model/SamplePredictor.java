package org.calico.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Request;
import org.calico.api.Segment;
import org.calico.data.ImageRef;
import org.calico.data.PredictedSegment;
import org.calico.data.Prediction;
import org.calico.data.Sample;
import org.calico.image.RgbImage;
import org.calico.mask.CocoRle;

/**
 * Runs a {@link CoSegmenter} over MixedParts samples (their images and task; the sample's own prompt text is not
 * needed: the model builds the paper's prompt for the task) and returns predictions in the format the evaluator
 * reads. Images are decoded once per path.
 */
public final class SamplePredictor {
    private final CoSegmenter segmenter;
    private final Path baseDir;
    private final Map<String, RgbImage> images = new ConcurrentHashMap<>();

    public SamplePredictor(CoSegmenter segmenter, Path baseDir) {
        this.segmenter = segmenter;
        this.baseDir = baseDir;
    }

    public RgbImage image(ImageRef ref) {
        return images.computeIfAbsent(ref.path(), p -> {
            RgbImage img = RgbImage.read(baseDir.resolve(p));
            if (img.width() != ref.width() || img.height() != ref.height())
                throw new IllegalArgumentException("image " + p + " is " + img.width() + "x" + img.height() + " but the sample says "
                        + ref.width() + "x" + ref.height());
            return img;
        });
    }

    public List<RgbImage> images(Sample s) {
        List<RgbImage> out = new ArrayList<>();
        for (ImageRef r : s.images()) out.add(image(r));
        return out;
    }

    /** Predictions for {@code batch}, one batched generation. */
    public List<Prediction> predict(List<Sample> batch) {
        List<Request> reqs = new ArrayList<>();
        for (Sample s : batch) reqs.add(Request.of(s.task(), images(s)));
        List<CoSegmentation> rs = segmenter.segmentAll(reqs);
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) out.add(toPrediction(batch.get(i).id(), rs.get(i)));
        return out;
    }

    public static Prediction toPrediction(String id, CoSegmentation r) {
        List<PredictedSegment> segs = new ArrayList<>();
        for (Segment s : r.segments()) segs.add(new PredictedSegment(s.label(), s.imageIndex(), CocoRle.of(s.mask()), s.score()));
        return new Prediction(id, r.answer(), segs);
    }
}
