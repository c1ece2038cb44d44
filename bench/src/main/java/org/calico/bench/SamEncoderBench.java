package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.sam.ImageEncoderViT;
import org.calico.sam.SamConfig;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SAM ViT-B image encoder (build_sam_vit_b shapes: 1024x1024 input, D 768, 12 blocks, window 14, global 2/5/8/11,
 * neck to 256) on one image, random weights, CPU, F32. Compare with bench/python/sam_bench.py (upstream-equivalent
 * PyTorch eager, same shapes and threads).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class SamEncoderBench {
    private ImageEncoderViT encoder;
    private Tensor x;

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        blasThreads();
        encoder = new ImageEncoderViT(SamConfig.vitB().imageEncoder());
        encoder.initRandom(0);
        T.seed(1);
        x = T.keep(T.randn(DType.F32, Dev.CPU, 1, 3, 1024, 1024));
    }

    /**
     * {@code -Dcalico.blas.threads=N}: OpenBLAS's own pool size for this run (the runtime sets it to the LibTorch thread
     * count). SDPA and bmm call BLAS inside LibTorch's OpenMP workers; with both pools above 1 thread they oversubscribe.
     */
    static void blasThreads() {
        String b = System.getProperty("calico.blas.threads");
        if (b != null && !b.isBlank()) org.calico.kernels.NativeKernels.calico_set_blas_threads(Integer.parseInt(b.trim()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        T.release(x);
        encoder.close();
    }

    @Benchmark
    public long encoderVitB1024() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            return encoder.forward(x).numel();
        }
    }
}
