package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.llm.KvCache;
import org.calico.llm.LlamaConfig;
import org.calico.llm.LlamaDecoderLayer;
import org.calico.llm.Rope;
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
 * One LLaMA-7B-shaped decoder layer (hidden 4096, intermediate 11008, 32 heads of 128, random weights) on the CPU:
 * a 100-token prefill (causal) and a 1-token cached decode step after 100 cached tokens. The PyTorch eager side by
 * side is {@code bench/python/llama_layer_bench.py} (transformers LlamaDecoderLayer, same shapes and threads).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Xmx4g"})
public class LlamaLayerBench {
    @Param({"f32", "bf16"})
    public String dtype;

    static final int PROMPT = 100;
    private LlamaDecoderLayer layer;
    private KvCache cache;
    private Tensor xPrefill, xStep, cosP, sinP, cosS, sinS;
    private NoGradGuard guard;

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        DType d = DType.parse(dtype);
        LlamaConfig c = LlamaConfig.vicuna7b().withLayers(1);
        layer = new LlamaDecoderLayer(c, d, Dev.CPU);
        layer.initRandom(0);
        guard = new NoGradGuard();
        cache = KvCache.create(c, 1, PROMPT + 1, d, Dev.CPU);
        try (PointerScope s = new PointerScope()) {
            T.seed(1);
            xPrefill = T.keep(T.to(T.randn(DType.F32, Dev.CPU, 1, PROMPT, 4096), d));
            xStep = T.keep(T.to(T.randn(DType.F32, Dev.CPU, 1, 1, 4096), d));
            Tensor inv = Rope.invFreq(c.headDim(), c.ropeTheta());
            Tensor[] p = Rope.cosSin(T.arange(PROMPT).unsqueeze(0), inv, d);
            Tensor[] q = Rope.cosSin(T.fromLongs(new long[] {PROMPT}, 1, 1), inv, d);
            cosP = T.keep(p[0]);
            sinP = T.keep(p[1]);
            cosS = T.keep(q[0]);
            sinS = T.keep(q[1]);
            layer.forward(xPrefill, cosP, sinP, null, true, cache, 0, 0); // fills slots 0..99
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        guard.close();
        cache.close();
        layer.close();
        for (Tensor t : new Tensor[] {xPrefill, xStep, cosP, sinP, cosS, sinS}) T.release(t);
    }

    /** 100 tokens, causal, writing the KV cache (what a prefill does). */
    @Benchmark
    public long prefill100() {
        try (PointerScope s = new PointerScope()) {
            return layer.forward(xPrefill, cosP, sinP, null, true, cache, 0, 0).numel();
        }
    }

    /** One new token attending over 100 cached ones (slot 100 is rewritten every call). */
    @Benchmark
    public long decodeStep() {
        try (PointerScope s = new PointerScope()) {
            return layer.forward(xStep, cosS, sinS, null, false, cache, 0, PROMPT).numel();
        }
    }
}
