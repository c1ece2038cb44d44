package org.calico.kernels;

import java.util.List;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;

/**
 * Entry point of CALICO's custom ops. Each factory returns an op object that picks its implementation on every call:
 * <ol>
 *   <li>autograd: when grad mode is on and any input or weight requires grad, the LibTorch composite runs (the native
 *       kernels record no graph);</li>
 *   <li>configuration: {@code -Dcalico.kernels.<op>=torch|native}, then {@code -Dcalico.kernels}, then the
 *       {@code CALICO_KERNELS} environment variable;</li>
 *   <li>default by device: native where CALICO's kernels exist for the tensors' device (CPU: the library loaded;
 *       CUDA: CUDA kernels compiled in and a device visible), else the composite.</li>
 * </ol>
 * Op objects are thread-safe and hold the native side's cached derived weights (close() releases them); create one
 * per module call site. {@link #describe(String, boolean)} is what {@code calico info} prints.
 */
public final class Ops {
    public static final String LAYER_NORM = "layer_norm";
    public static final String QFORMER_CROSS_ATTENTION = "qformer_cross_attention";
    public static final String CEM_FUSION = "cem_fusion";
    public static final String CAM_INJECTION = "cam_injection";
    public static final String SAM_MASK_DECODING = "sam_mask_decoding";

    /** Every op with a native kernel, in the order {@code calico info} lists them. */
    public static final List<String> NAMES = List.of(LAYER_NORM, QFORMER_CROSS_ATTENTION, CEM_FUSION, CAM_INJECTION, SAM_MASK_DECODING);

    private Ops() {}

    /** True when the native kernel should run {@code op} on these tensors now (see the class comment). */
    public static boolean useNative(String op, Tensor... tensors) {
        Tensor ref = null;
        for (Tensor t : tensors) {
            if (t == null) continue;
            if (ref == null) ref = t;
        }
        if (ref == null) return false;
        if (GradMode.is_enabled())
            for (Tensor t : tensors)
                if (t != null && t.requires_grad()) return false;
        return Backend.forDevice(op, NativeLibrary.onCuda(ref)) == Backend.NATIVE;
    }

    /**
     * Shapes the CUDA kernels cover (head size <= 128, upscaling channels <= 256, mask tokens <= 16); CPU kernels
     * cover all. Outside it the composite runs (CALICO's real shapes are well inside).
     */
    static boolean cudaCovers(Tensor ref, long headSize, long channels, long maskTokens) {
        if (!dtypeCovered(ref)) return false;
        if (!NativeLibrary.onCuda(ref)) return true;
        return headSize <= 128 && channels <= 256 && maskTokens <= 16;
    }

    /** The kernels store F32, BF16 or F16; any other dtype (e.g. F64 in a reference run) runs the composite. */
    static boolean dtypeCovered(Tensor ref) {
        return org.calico.tensor.T.dtype(ref).code() >= 0;
    }

    /** "native" / "torch" for {@code op} on that device, or the reason the configuration cannot be honoured. */
    public static String describe(String op, boolean cuda) {
        try {
            return Backend.forDevice(op, cuda).toString();
        } catch (RuntimeException e) {
            return "error: " + e.getMessage();
        }
    }

    /** Q-Former cross-attention (see {@link QFormerCrossAttentionOp}); composite {@link TorchQFormerCrossAttention}. */
    public static QFormerCrossAttentionOp qformerCrossAttention() { return qformerCrossAttention(new TorchQFormerCrossAttention()); }

    /**
     * Q-Former cross-attention whose composite path (autograd, {@code torch} configured, shapes/dtypes the kernels do
     * not cover) is {@code composite}: a module passes its own LibTorch code, so that {@code torch} runs exactly what
     * the module ran before the kernels existed.
     */
    public static QFormerCrossAttentionOp qformerCrossAttention(QFormerCrossAttentionOp composite) {
        java.util.Objects.requireNonNull(composite, "composite");
        return new QFormerCrossAttentionOp() {
            private final QFormerCrossAttentionOp torchImpl = composite;
            private final NativeQFormerCrossAttention nativeImpl = new NativeQFormerCrossAttention();

            @Override
            public Tensor forward(Tensor hidden, Tensor encoder, Weights w) {
                QFormerCrossAttentionOp.validate(hidden, encoder, w);
                boolean nat = useNative(QFORMER_CROSS_ATTENTION, hidden, encoder, w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv())
                        && cudaCovers(hidden, hidden.size(2) / w.heads(), 0, 0);
                return nat ? nativeImpl.forward(hidden, encoder, w) : torchImpl.forward(hidden, encoder, w);
            }

            @Override public void close() {
                nativeImpl.close();
                torchImpl.close();
            }
        };
    }

    /** CEM fusion (see {@link CemFusionOp}); composite {@link TorchCemFusion}. */
    public static CemFusionOp cemFusion() { return cemFusion(new TorchCemFusion()); }

    /** CEM fusion with the given composite path (see {@link #qformerCrossAttention(QFormerCrossAttentionOp)}). */
    public static CemFusionOp cemFusion(CemFusionOp composite) {
        java.util.Objects.requireNonNull(composite, "composite");
        return new CemFusionOp() {
            private final CemFusionOp torchImpl = composite;
            private final NativeCemFusion nativeImpl = new NativeCemFusion();

            @Override
            public Tensor forward(Tensor x, Tensor sem, Weights w) {
                CemFusionOp.validate(x, sem, w);
                boolean nat = useNative(CEM_FUSION, x, sem, w.normQW(), w.normQB(), w.normKvW(), w.normKvB(), w.wq(), w.bq(),
                        w.wk(), w.bk(), w.wv(), w.bv(), w.wo(), w.bo()) && cudaCovers(x, x.size(2) / w.heads(), 0, 0);
                return nat ? nativeImpl.forward(x, sem, w) : torchImpl.forward(x, sem, w);
            }

            @Override public void close() {
                nativeImpl.close();
                torchImpl.close();
            }
        };
    }

    /** CAM injection (see {@link CamInjectionOp}); composite {@link TorchCamInjection}. */
    public static CamInjectionOp camInjection() { return camInjection(new TorchCamInjection()); }

    /** CAM injection with the given composite path (see {@link #qformerCrossAttention(QFormerCrossAttentionOp)}). */
    public static CamInjectionOp camInjection(CamInjectionOp composite) {
        java.util.Objects.requireNonNull(composite, "composite");
        return new CamInjectionOp() {
            private final CamInjectionOp torchImpl = composite;
            private final NativeCamInjection nativeImpl = new NativeCamInjection();

            @Override
            public Tensor adapt(Tensor hidden, long[] lastIdx, AdaptWeights w) {
                CamInjectionOp.validateAdapt(hidden, lastIdx, w);
                return useNative(CAM_INJECTION, hidden, w.wa(), w.ba(), w.queries()) && dtypeCovered(hidden)
                        ? nativeImpl.adapt(hidden, lastIdx, w) : torchImpl.adapt(hidden, lastIdx, w);
            }

            @Override
            public Tensor reintegrate(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
                CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
                return useNative(CAM_INJECTION, hidden, x, w.wr(), w.br()) && dtypeCovered(hidden)
                        ? nativeImpl.reintegrate(hidden, rows, starts, x, w) : torchImpl.reintegrate(hidden, rows, starts, x, w);
            }

            @Override
            public Tensor reintegrateInPlace(Tensor hidden, long[] rows, long[] starts, Tensor x, ReintegrateWeights w) {
                CamInjectionOp.validateReintegrate(hidden, rows, starts, x, w);
                return useNative(CAM_INJECTION, hidden, x, w.wr(), w.br()) && dtypeCovered(hidden) && hidden.is_contiguous()
                        ? nativeImpl.reintegrateInPlace(hidden, rows, starts, x, w)
                        : torchImpl.reintegrateInPlace(hidden, rows, starts, x, w);
            }

            @Override public void close() { torchImpl.close(); }
        };
    }

    /** SAM mask decoding (see {@link SamMaskDecodingOp}); composite {@link TorchSamMaskDecoding}. */
    public static SamMaskDecodingOp samMaskDecoding() { return samMaskDecoding(new TorchSamMaskDecoding()); }

    /** SAM mask decoding with the given composite path (see {@link #qformerCrossAttention(QFormerCrossAttentionOp)}). */
    public static SamMaskDecodingOp samMaskDecoding(SamMaskDecodingOp composite) {
        java.util.Objects.requireNonNull(composite, "composite");
        return new SamMaskDecodingOp() {
            private final SamMaskDecodingOp torchImpl = composite;
            private final NativeSamMaskDecoding nativeImpl = new NativeSamMaskDecoding();

            @Override
            public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionWeights w) {
                SamMaskDecodingOp.validateAttention(q, k, v, w);
                return useNative(SAM_MASK_DECODING, q, k, v, w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv(), w.wo(), w.bo())
                        && cudaCovers(q, w.wq().size(0) / w.heads(), 0, 0) ? nativeImpl.attention(q, k, v, w) : torchImpl.attention(q, k, v, w);
            }

            @Override
            public Tensor upscale(Tensor src, UpscaleWeights w) {
                SamMaskDecodingOp.validateUpscale(src, null, w);
                return useNative(SAM_MASK_DECODING, src, w.w1(), w.b1(), w.lnW(), w.lnB(), w.w2(), w.b2())
                        && cudaCovers(src, 0, Math.max(w.w1().size(1), w.w2().size(1)), 0) ? nativeImpl.upscale(src, w) : torchImpl.upscale(src, w);
            }

            @Override
            public Tensor masks(Tensor src, Tensor hyperIn, UpscaleWeights w) {
                SamMaskDecodingOp.validateUpscale(src, hyperIn, w);
                return useNative(SAM_MASK_DECODING, src, hyperIn, w.w1(), w.b1(), w.lnW(), w.lnB(), w.w2(), w.b2())
                        && cudaCovers(src, 0, Math.max(w.w1().size(1), w.w2().size(1)), hyperIn.size(1)) ? nativeImpl.masks(src, hyperIn, w) : torchImpl.masks(src, hyperIn, w);
            }

            @Override public void close() {
                nativeImpl.close();
                torchImpl.close();
            }
        };
    }
}
