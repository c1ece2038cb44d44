package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.NativeOps;
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
 * Fused native LayerNorm vs LibTorch's layer_norm at EVA/SAM/LLaMA-like shapes (rows x cols, fp32 and bf16).
 * Both run in one JMH run so the ratio is measured on the same machine state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class LayerNormBench {
    @Param({"257x1408", "4096x256", "100x4096"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    private Tensor x, w, b;
    private NoGradGuard guard;

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        String[] p = shape.split("x");
        long rows = Long.parseLong(p[0]), cols = Long.parseLong(p[1]);
        DType d = DType.parse(dtype);
        T.seed(0);
        x = T.keep(T.randn(DType.F32, Dev.CPU, rows, cols).to(d.scalarType()));
        w = T.keep(T.randn(DType.F32, Dev.CPU, cols).to(d.scalarType()));
        b = T.keep(T.randn(DType.F32, Dev.CPU, cols).to(d.scalarType()));
        guard = new NoGradGuard();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        guard.close();
        T.release(x);
        T.release(w);
        T.release(b);
    }

    @Benchmark
    public long torchComposite() {
        try (PointerScope s = new PointerScope()) {
            return T.layerNorm(x, w, b, 1e-6).numel();
        }
    }

    @Benchmark
    public long nativeKernel() {
        try (PointerScope s = new PointerScope()) {
            return NativeOps.layerNorm(x, w, b, 1e-6).numel();
        }
    }
}
