package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.sam.MaskDecoder;
import org.calico.sam.MaskDecoderConfig;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
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
 * SAM mask decoder (released config: dim 256, 2 two-way blocks, mlp 2048, 8 heads) decoding N [SEG]-style prompts
 * (sparse [N, 1, 256], no-mask dense embedding broadcast) against one 64x64 image embedding, single-mask output, as
 * CALICO decodes every [SEG] of an answer. Random weights, CPU, F32. Compare with bench/python/sam_bench.py.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class SamDecoderBench {
    @Param({"1", "8", "32"})
    public int prompts;

    private MaskDecoder decoder;
    private Tensor image, pe, sparse, dense;

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        blasThreads();
        decoder = new MaskDecoder(MaskDecoderConfig.released());
        decoder.initRandom(0);
        T.seed(1);
        image = T.keep(T.randn(DType.F32, Dev.CPU, 1, 256, 64, 64));
        pe = T.keep(T.randn(DType.F32, Dev.CPU, 1, 256, 64, 64));
        sparse = T.keep(T.randn(DType.F32, Dev.CPU, prompts, 1, 256));
        dense = T.keep(T.randn(DType.F32, Dev.CPU, 1, 256, 1, 1).expand(prompts, -1, 64, 64));   // no_mask_embed broadcast
    }

    /** See {@link SamEncoderBench#blasThreads()}. */
    static void blasThreads() { SamEncoderBench.blasThreads(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {image, pe, sparse, dense}) T.release(t);
        decoder.close();
    }

    @Benchmark
    public long decoder() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            return decoder.forward(image, pe, sparse, dense, false).masks().numel();
        }
    }
}
