package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.calico.vision.Dinov2;
import org.calico.vision.Dinov2Config;
import org.calico.vision.QFormer;
import org.calico.vision.QFormerConfig;
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
 * Vision encoders at real widths with random weights, on the CPU:
 * <ul>
 *   <li>{@code qformer}: BLIP-2 Q-Former (768 wide, 12 layers, cross-attention every 2nd layer from 1408) over 2 images
 *       x 257 EVA tokens with 32 queries -> [2, 32, 768];</li>
 *   <li>{@code dinov2}: DINOv2-L/14 with 4 registers (pos grid 37x37 resized to 16x16) on one 224x224 image.</li>
 * </ul>
 * The PyTorch-eager side of the comparison (transformers Blip2QFormerModel / Dinov2WithRegistersModel, same shapes,
 * same thread count) is {@code bench/python/vision_bench.py}, which also runs this class and prints the ratio.
 * Single-shot iterations (one forward each), so that the shared machine's contention spikes show as outliers in the
 * per-iteration samples instead of being averaged in; the script compares medians and minimums.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class VisionBench {
    @Param({"bf16", "f32"})
    public String dtype;

    private QFormer qformer;
    private Dinov2 dino;
    private Tensor queries, image, pixels;
    private NoGradGuard guard;

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        DType d = DType.parse(dtype);
        guard = new NoGradGuard();
        qformer = new QFormer(QFormerConfig.blip2(), d, Dev.CPU);
        qformer.initRandom(1);
        dino = new Dinov2(Dinov2Config.vitL14Reg(), d, Dev.CPU);
        dino.initRandom(2);
        try (PointerScope s = new PointerScope()) {
            T.seed(3);
            queries = T.keep(T.to(T.randn(DType.F32, Dev.CPU, 1, 32, 768), d));
            image = T.keep(T.to(T.randn(DType.F32, Dev.CPU, 2, 257, 1408), d));
            pixels = T.keep(T.to(T.randn(DType.F32, Dev.CPU, 1, 3, 224, 224), d));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        T.release(queries);
        T.release(image);
        T.release(pixels);
        qformer.close();
        dino.close();
        guard.close();
    }

    /** Q-Former, 32 queries over 2 x 257 tokens of width 1408. */
    @Benchmark
    public long qformer() {
        try (PointerScope s = new PointerScope()) {
            return qformer.forward(queries, image).numel();
        }
    }

    /** DINOv2-L/14 reg4 forward_features on 1 x 3 x 224 x 224. */
    @Benchmark
    public long dinov2() {
        try (PointerScope s = new PointerScope()) {
            return dino.forwardFeatures(pixels).patchTokens().numel();
        }
    }
}
