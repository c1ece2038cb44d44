package org.calico.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.calico.api.CoSegmentation;
import org.calico.api.CoSegmenter;
import org.calico.api.Task;
import org.calico.image.RgbImage;
import org.calico.kernels.Ops;
import org.calico.model.CalicoConfig;
import org.calico.model.CalicoModel;
import org.calico.model.ImageFeatures;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.text.WordTokenizer;
import org.calico.vision.Cam;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End-to-end calico-tiny inference on two 128x128 images (random weights, F32, CPU) with CALICO's kernels
 * ({@code kernels=native}) vs the modules' LibTorch code ({@code kernels=torch}, i.e. {@code -Dcalico.kernels=torch}).
 * The zero-initialised CEM out_proj and CAM projections get random values, so every op does real work.
 * <ul>
 *   <li>{@code segment}: {@link CoSegmenter#segment} with {@code maxNewTokens} 32: EVA + Q-Former, DINOv2 + CEM, SAM
 *       image encoder, prompt, LLaMA prefill with the CAMs, greedy decoding. Each call uses a new pair of images
 *       (one pixel changes), so the feature cache never hits and the encoders run every time. With random weights the
 *       answer has no [SEG] (the same 32 tokens with both backends), so the SAM mask decoder does not run here.</li>
 *   <li>{@code forwardWithMasks}: encode the two images, then one teacher-forced pass with an answer that has two
 *       [SEG]s (CAMs, LLaMA over the whole sequence, SAM prompt encoder + mask decoder for both masks), under
 *       NoGradGuard: every one of the four ops runs.</li>
 * </ul>
 * Run: {@code java -jar bench/target/benchmarks.jar CalicoTinyBench -f 1 -wi 3 -i 5 -jvmArgsAppend -Dcalico.threads=1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class CalicoTinyBench {
    static final String ANSWER = "The common parts of the objects are <p> the seat </p> [SEG] (IMAGE1) and <p> the seat </p> [SEG] (IMAGE2).";

    @Param({"torch", "native"})
    public String kernels;

    @Param({"32"})
    public int maxNewTokens;

    private CalicoModel model;
    private CoSegmenter segmenter;
    private byte[][] pixels;
    private int counter;

    @Setup(Level.Trial)
    public void setup() {
        System.setProperty("calico.kernels", kernels);
        BenchSupport.init();
        for (String op : List.of(Ops.QFORMER_CROSS_ATTENTION, Ops.CEM_FUSION, Ops.CAM_INJECTION, Ops.SAM_MASK_DECODING))
            if (!Ops.describe(op, false).equals(kernels)) throw new IllegalStateException(op + " runs " + Ops.describe(op, false) + ", wanted " + kernels);
        model = new CalicoModel(CalicoConfig.calicoTiny(), WordTokenizer.tinyDefault(), DType.F32, Dev.CPU);
        model.initRandom(11);
        Random r = new Random(5);
        List<org.calico.nn.Param> zeroInit = new ArrayList<>(List.of(model.cem.outProj.weight, model.cem.outProj.bias));
        for (Cam c : model.cams)
            zeroInit.addAll(List.of(c.fAdaptation.weight, c.fAdaptation.bias, c.fReintegration.weight, c.fReintegration.bias));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (org.calico.nn.Param p : zeroInit) {
                float[] v = new float[(int) p.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (0.05 * r.nextGaussian());
                p.t().copy_(T.fromFloats(v, p.shape()));
            }
        }
        segmenter = CoSegmenter.builder().model(model).maxNewTokens(maxNewTokens).cacheCapacity(2).build();
        pixels = new byte[2][128 * 128 * 3];
        for (int i = 0; i < 2; i++) new Random(300 + i).nextBytes(pixels[i]);
        CoSegmentation first = segmenter.segment(images(), Task.COMMON_PARTS);
        System.out.println("\n[calico-tiny " + kernels + "] answer (" + first.answer().split(" ").length + " words, "
                + first.segments().size() + " segments): " + first.answer());
    }

    /** A new pair of images (pixel 0 of each changes), so the feature cache misses and every encoder runs. */
    private List<RgbImage> images() {
        counter++;
        List<RgbImage> out = new ArrayList<>();
        for (byte[] p : pixels) {
            p[0] = (byte) counter;
            p[1] = (byte) (counter >> 8);
            out.add(new RgbImage(128, 128, p));
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        segmenter.close();
        model.close();
        System.clearProperty("calico.kernels");
    }

    @Benchmark
    public CoSegmentation segment() {
        return segmenter.segment(images(), Task.COMMON_PARTS);
    }

    @Benchmark
    public double forwardWithMasks() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            List<ImageFeatures> feats = model.encodeImages(images());
            CalicoModel.TrainingOutput o = model.trainingForward(feats, model.prompts().message(Task.COMMON_PARTS, 2), ANSWER);
            return o.logits().size(1) + T.toFloats(o.maskLogits().get(1))[0];
        }
    }
}
