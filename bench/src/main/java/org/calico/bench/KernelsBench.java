package org.calico.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.CamInjectionOp;
import org.calico.kernels.CemFusionOp;
import org.calico.kernels.NativeCamInjection;
import org.calico.kernels.NativeCemFusion;
import org.calico.kernels.NativeQFormerCrossAttention;
import org.calico.kernels.NativeSamMaskDecoding;
import org.calico.kernels.QFormerCrossAttentionOp;
import org.calico.kernels.SamMaskDecodingOp;
import org.calico.kernels.TorchCamInjection;
import org.calico.kernels.TorchCemFusion;
import org.calico.kernels.TorchQFormerCrossAttention;
import org.calico.kernels.TorchSamMaskDecoding;
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
 * CALICO's four custom ops, LibTorch composite ({@code torchComposite}) vs native kernel ({@code nativeKernel}) on
 * the CPU at real CALICO shapes, in one JMH run so the ratio is measured on the same machine state
 * ({@link KernelRatios} runs it and prints composite/native per case).
 * <ul>
 *   <li>qformer: Q-Former cross-attention, B 4 images x 32 queries x 768 over 257 EVA tokens of 1408, 12 heads</li>
 *   <li>cem: CEM fusion, B 2 images, 257 x 1408 EVA tokens over 256 x 1024 DINOv2 tokens, 16 heads</li>
 *   <li>cam_adapt: B 4 sequences of 160 x 4096 hidden states -> 32 x 768 queries</li>
 *   <li>cam_reintegrate: the same 4 sequences, 2 images each: 8 x (32 x 768 -> 4096) added into the hidden states</li>
 *   <li>sam_t2i / sam_i2t: SAM cross-attention (256 -> 128, 8 heads) for 8 prompts, 7 tokens vs the 64x64 image;
 *       token->image with the image keys shared by the prompts (first block)</li>
 *   <li>sam_masks: SAM upscaling (256x64x64 -> 64 -> 32 x 256x256) + hypernetwork masks, 4 prompts x 4 mask tokens</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class KernelsBench {
    @Param({"qformer", "cem", "cam_adapt", "cam_reintegrate", "sam_t2i", "sam_i2t", "sam_masks"})
    public String op;

    @Param({"f32"})
    public String dtype;

    private NoGradGuard guard;
    private PointerScope scope;
    private Runnable torchRun, nativeRun;
    private AutoCloseable nativeOp;

    private static Tensor rnd(DType dt, double scale, long... shape) {
        return T.randn(DType.F32, Dev.CPU, shape).mul(T.s(scale)).to(dt.scalarType());
    }

    @Setup(Level.Trial)
    public void setup() {
        BenchSupport.init();
        guard = new NoGradGuard();
        scope = new PointerScope(); // the inputs live for the whole trial
        T.seed(0);
        DType dt = DType.parse(dtype);
        switch (op) {
            case "qformer" -> {
                long b = 4, nq = 32, dq = 768, s = 257, de = 1408;
                QFormerCrossAttentionOp.Weights w = new QFormerCrossAttentionOp.Weights(rnd(dt, 0.036, dq, dq), rnd(dt, 0.05, dq),
                        rnd(dt, 0.027, dq, de), rnd(dt, 0.05, dq), rnd(dt, 0.027, dq, de), rnd(dt, 0.05, dq), 12);
                Tensor hidden = rnd(dt, 1, b, nq, dq), enc = rnd(dt, 1, b, s, de);
                TorchQFormerCrossAttention t = new TorchQFormerCrossAttention();
                NativeQFormerCrossAttention n = new NativeQFormerCrossAttention();
                torchRun = () -> t.forward(hidden, enc, w);
                nativeRun = () -> n.forward(hidden, enc, w);
                nativeOp = n;
            }
            case "cem" -> {
                long b = 2, sc = 257, c = 1408, sd = 256, cd = 1024;
                CemFusionOp.Weights w = new CemFusionOp.Weights(rnd(dt, 0.1, c).add(T.s(1)), rnd(dt, 0.05, c),
                        rnd(dt, 0.1, cd).add(T.s(1)), rnd(dt, 0.05, cd), rnd(dt, 0.027, c, c), rnd(dt, 0.05, c),
                        rnd(dt, 0.031, c, cd), rnd(dt, 0.05, c), rnd(dt, 0.031, c, cd), rnd(dt, 0.05, c), rnd(dt, 0.027, c, c),
                        rnd(dt, 0.05, c), 16);
                Tensor x = rnd(dt, 1, b, sc, c), sem = rnd(dt, 1, b, sd, cd);
                TorchCemFusion t = new TorchCemFusion();
                NativeCemFusion n = new NativeCemFusion();
                torchRun = () -> t.forward(x, sem, w);
                nativeRun = () -> n.forward(x, sem, w);
                nativeOp = n;
            }
            case "cam_adapt", "cam_reintegrate" -> {
                long b = 4, l = 160, d = 4096, dq = 768, nq = 32;
                Tensor hidden = rnd(dt, 1, b, l, d);
                TorchCamInjection t = new TorchCamInjection();
                NativeCamInjection n = new NativeCamInjection();
                if (op.equals("cam_adapt")) {
                    CamInjectionOp.AdaptWeights w = new CamInjectionOp.AdaptWeights(rnd(dt, 0.016, dq, d), rnd(dt, 0.05, dq), rnd(dt, 1, 1, nq, dq));
                    long[] last = {159, 150, 141, 132};
                    torchRun = () -> t.adapt(hidden, last, w);
                    nativeRun = () -> n.adapt(hidden, last, w);
                } else {
                    CamInjectionOp.ReintegrateWeights w = new CamInjectionOp.ReintegrateWeights(rnd(dt, 0.036, d, dq), rnd(dt, 0.05, d));
                    long[] rows = {0, 0, 1, 1, 2, 2, 3, 3}, starts = {5, 40, 5, 40, 5, 40, 5, 40};
                    Tensor x = rnd(dt, 1, 8, nq, dq);
                    torchRun = () -> t.reintegrate(hidden, rows, starts, x, w);
                    nativeRun = () -> n.reintegrate(hidden, rows, starts, x, w);
                }
            }
            case "sam_t2i", "sam_i2t" -> {
                long n = 8, tok = 7, hw = 4096, c = 256, inner = 128;
                SamMaskDecodingOp.AttentionWeights w = new SamMaskDecodingOp.AttentionWeights(rnd(dt, 0.0625, inner, c), rnd(dt, 0.05, inner),
                        rnd(dt, 0.0625, inner, c), rnd(dt, 0.05, inner), rnd(dt, 0.0625, inner, c), rnd(dt, 0.05, inner),
                        rnd(dt, 0.088, c, inner), rnd(dt, 0.05, c), 8);
                Tensor tokens = rnd(dt, 1, n, tok, c);
                TorchSamMaskDecoding t = new TorchSamMaskDecoding();
                NativeSamMaskDecoding nat = new NativeSamMaskDecoding();
                if (op.equals("sam_t2i")) {
                    Tensor image = rnd(dt, 1, 1, hw, c), keys = image.add(rnd(dt, 1, 1, hw, c));
                    torchRun = () -> t.attention(tokens, keys, image, w);
                    nativeRun = () -> nat.attention(tokens, keys, image, w);
                } else {
                    Tensor keys = rnd(dt, 1, n, hw, c);
                    torchRun = () -> t.attention(keys, tokens, tokens, w);
                    nativeRun = () -> nat.attention(keys, tokens, tokens, w);
                }
                nativeOp = nat;
            }
            case "sam_masks" -> {
                long n = 4, m = 4;
                SamMaskDecodingOp.UpscaleWeights w = new SamMaskDecodingOp.UpscaleWeights(rnd(dt, 0.0625, 256, 64, 2, 2), rnd(dt, 0.05, 64),
                        rnd(dt, 0.1, 64).add(T.s(1)), rnd(dt, 0.05, 64), rnd(dt, 0.125, 64, 32, 2, 2), rnd(dt, 0.05, 32));
                Tensor src = rnd(dt, 1, n, 4096, 256).transpose(1, 2).view(n, 256, 64, 64); // SAM's channels-last layout
                Tensor hyper = rnd(dt, 1, n, m, 32);
                TorchSamMaskDecoding t = new TorchSamMaskDecoding();
                NativeSamMaskDecoding nat = new NativeSamMaskDecoding();
                torchRun = () -> t.masks(src, hyper, w);
                nativeRun = () -> nat.masks(src, hyper, w);
                nativeOp = nat;
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (nativeOp != null) nativeOp.close();
        scope.close();
        guard.close();
    }

    @Benchmark
    public void torchComposite() {
        try (PointerScope s = new PointerScope()) {
            torchRun.run();
        }
    }

    @Benchmark
    public void nativeKernel() {
        try (PointerScope s = new PointerScope()) {
            nativeRun.run();
        }
    }
}
