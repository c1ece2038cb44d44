package org.calico.kernels;

import java.lang.reflect.Method;
import java.util.Arrays;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Checked Java entry points to the native kernels: shapes, dtypes, devices and contiguity are validated here, so
 * that native code only ever sees consistent addresses. Outputs are allocated by LibTorch.
 */
public final class NativeOps {
    private NativeOps() {}

    /** C ABI device code: 0 = CPU, 1 + i = cuda:i (1 for CPU tensors under {@link NativeLibrary#emulatedCuda()}). */
    static int deviceCode(Tensor t) {
        if (!t.is_cuda()) return NativeLibrary.emulatedCuda() ? 1 : 0;
        int idx = t.device().index();
        return 1 + Math.max(idx, 0);
    }

    static int dtypeCode(Tensor t, String op) {
        DType d = T.dtype(t);
        if (d.code() < 0) throw new KernelException(op + ": dtype " + d + " not supported (F32, BF16, F16)");
        return d.code();
    }

    static void sameDeviceDtype(String op, Tensor ref, String name, Tensor t) {
        if (t == null) return;
        if (t.is_cuda() != ref.is_cuda())
            throw new KernelException(op + ": '" + name + "' is on " + (t.is_cuda() ? "cuda" : "cpu") + " but the input is on " + (ref.is_cuda() ? "cuda" : "cpu"));
        if (t.scalar_type().value != ref.scalar_type().value)
            throw new KernelException(op + ": '" + name + "' is " + T.dtype(t) + " but the input is " + T.dtype(ref));
        if (!t.is_contiguous()) throw new KernelException(op + ": '" + name + "' must be contiguous");
    }

    private static volatile Method currentStream, streamHandle;
    private static volatile String streamSource;

    /**
     * CUDA stream for kernels on {@code t}'s device: LibTorch's current stream when the CUDA presets are on the
     * class path ({@code torch_cuda.getCurrentCUDAStream(device).stream()}, looked up reflectively so that CPU-only
     * builds do not need the CUDA classes), else 0 = the legacy default stream, which is LibTorch's default stream
     * unless the application installed another current stream. {@link #streamSource()} says which applies.
     */
    static long stream(Tensor t) {
        if (!t.is_cuda()) return 0L;
        try {
            Method cur = currentStream, handle = streamHandle;
            if (cur == null) {
                Class<?> c = Class.forName("org.bytedeco.pytorch.global.torch_cuda");
                cur = c.getMethod("getCurrentCUDAStream", byte.class);
                handle = cur.getReturnType().getMethod("stream");
                streamHandle = handle;
                currentStream = cur;
            }
            Object s = cur.invoke(null, (byte) Math.max(t.device().index(), 0));
            Pointer p = (Pointer) handle.invoke(s);
            streamSource = "LibTorch current stream (torch_cuda.getCurrentCUDAStream)";
            return p == null ? 0L : p.address();
        } catch (Throwable e) {
            streamSource = "legacy default stream 0 (LibTorch's current stream not reachable: " + e.getClass().getSimpleName() + ")";
            return 0L;
        }
    }

    /** Which CUDA stream the kernels launch on (after the first CUDA call), for {@code calico info}. */
    public static String streamSource() {
        String s = streamSource;
        return s != null ? s : "LibTorch's current stream when torch_cuda is on the class path, else the legacy default stream 0";
    }

    /** Address of the first element; 0 for an empty tensor (LibTorch gives no data pointer then). */
    static long addr(Tensor t) {
        if (t.numel() == 0) return 0L;
        org.bytedeco.javacpp.Pointer p = t.data_ptr();
        return p == null ? 0L : p.address();
    }

    /** Native-kernel dtype check: F32, BF16 or F16. */
    static void requireKernelDtype(String op, Tensor t) { dtypeCode(t, op); }

    static void requireContiguous(String op, String name, Tensor t) {
        if (!t.is_contiguous()) throw new KernelException(op + ": '" + name + "' must be contiguous");
    }

    static void requireShape(String op, String name, Tensor t, long... expected) {
        long[] s = T.shape(t);
        boolean ok = s.length == expected.length;
        for (int i = 0; ok && i < s.length; i++) ok = expected[i] < 0 || expected[i] == s[i];
        if (!ok)
            throw new KernelException(op + ": '" + name + "' has shape " + Arrays.toString(s) + ", expected "
                    + Arrays.toString(expected).replace("-1", "*"));
    }

    private static Tensor contiguous(Tensor t) { return t == null || t.is_contiguous() ? t : t.contiguous(); }

    static Tensor emptyLike(Tensor ref, long... shape) {
        return torch.empty(shape, ref.options(), null);
    }

    /** One operand of {@link #mha}: element (b, i, h, c) at {@code offset + b*batchStride + i*rowStride + h*d + c}. */
    public record MhaOperand(Tensor tensor, long offset, long batchStride, long rowStride) {
        public static MhaOperand of(Tensor t, long offset, long batchStride, long rowStride) {
            return new MhaOperand(t, offset, batchStride, rowStride);
        }
    }

    private static void checkOperand(String op, String name, MhaOperand o, Tensor ref, long batch, long rows, long width) {
        sameDeviceDtype(op, ref, name, o.tensor());
        if (o.offset() < 0 || o.batchStride() < 0 || o.rowStride() < width)
            throw new KernelException(op + ": '" + name + "' offset " + o.offset() + ", batch stride " + o.batchStride()
                    + ", row stride " + o.rowStride() + " invalid (row stride must be >= heads*d = " + width + ")");
        if (batch == 0 || rows == 0) return;
        long nb = o.batchStride() == 0 ? 1 : batch;
        long last = o.offset() + (nb - 1) * o.batchStride() + (rows - 1) * o.rowStride() + width;
        if (last > o.tensor().numel())
            throw new KernelException(op + ": '" + name + "' of " + o.tensor().numel() + " elements is too small for "
                    + nb + " batch x " + rows + " rows x " + width + " at the given strides (needs " + last + ")");
    }

    /**
     * Fused multi-head attention (calico_mha): {@code out[b, i, h*d:(h+1)*d] = softmax(scale q_h k_h^T) v_h}, heads
     * read in place from strided buffers, batch stride 0 = broadcast over the batch. All tensors contiguous, one
     * dtype (F32/BF16/F16) and device. {@code out} is written.
     */
    public static void mha(MhaOperand q, MhaOperand k, MhaOperand v, MhaOperand out, long batch, long heads, long lq,
                           long lk, long d, double scale) {
        final String op = "mha";
        NativeLibrary.require();
        Tensor ref = q.tensor();
        int dt = dtypeCode(ref, op);
        if (batch < 0 || heads < 1 || lq < 0 || lk < 0 || d < 1)
            throw new KernelException(op + ": bad sizes batch=" + batch + " heads=" + heads + " lq=" + lq + " lk=" + lk + " d=" + d);
        if (NativeLibrary.onCuda(ref) && d > 128) throw new KernelException(op + ": head size " + d + " > 128 is not supported by the CUDA kernel");
        long width = heads * d;
        checkOperand(op, "q", q, ref, batch, lq, width);
        checkOperand(op, "k", k, ref, batch, lk, width);
        checkOperand(op, "v", v, ref, batch, lk, width);
        checkOperand(op, "out", out, ref, batch, lq, width);
        if (out.batchStride() == 0 && batch > 1 && lq > 0) throw new KernelException(op + ": 'out' needs a batch stride");
        if (batch == 0 || lq == 0) return;
        int dev = deviceCode(ref);
        long es = ref.element_size();
        long wsBytes = dev == 0 ? 0 : NativeKernels.calico_mha_workspace_bytes(dev, batch, heads, lq, lk, d);
        Tensor ws = wsBytes > 0 ? torch.empty(new long[] {wsBytes}, ref.options().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Byte)), null) : null;
        int rc = NativeKernels.calico_mha(dev, dt, addr(q.tensor()) + q.offset() * es, addr(k.tensor()) + k.offset() * es,
                addr(v.tensor()) + v.offset() * es, addr(out.tensor()) + out.offset() * es, batch, heads, lq, lk, d,
                q.batchStride(), q.rowStride(), k.batchStride(), k.rowStride(), v.batchStride(), v.rowStride(),
                out.batchStride(), out.rowStride(), (float) scale, ws == null ? 0L : addr(ws), wsBytes, stream(ref));
        NativeLibrary.check(rc, op + "[batch=" + batch + ", heads=" + heads + ", lq=" + lq + ", lk=" + lk + ", d=" + d + "]");
    }

    /**
     * CAM adaptation (calico_cam_adapt): {@code queries + ba + Wa hidden[b, lastIdx[b]]}. hidden [B, L, D] (last dim
     * contiguous), wa [Dq, D], ba [Dq], queries [Nq, Dq] or [1, Nq, Dq]; returns [B, Nq, Dq].
     */
    public static Tensor camAdapt(Tensor hidden, long[] lastIdx, Tensor wa, Tensor ba, Tensor queries) {
        final String op = "cam_adapt";
        NativeLibrary.require();
        int dt = dtypeCode(hidden, op);
        requireShape(op, "hidden", hidden, -1, -1, -1);
        long b = hidden.size(0), l = hidden.size(1), dim = hidden.size(2);
        requireShape(op, "wa", wa, -1, dim);
        long dq = wa.size(0);
        requireShape(op, "ba", ba, dq);
        if (queries.dim() == 3) requireShape(op, "queries", queries, 1, -1, dq);
        else requireShape(op, "queries", queries, -1, dq);
        long nq = queries.size(-2);
        sameDeviceDtype(op, hidden, "wa", wa);
        sameDeviceDtype(op, hidden, "ba", ba);
        sameDeviceDtype(op, hidden, "queries", queries);
        if (lastIdx.length != b) throw new KernelException(op + ": " + lastIdx.length + " last-token indices for a batch of " + b);
        for (int i = 0; i < lastIdx.length; i++)
            if (lastIdx[i] < 0 || lastIdx[i] >= l)
                throw new KernelException(op + ": last-token index " + lastIdx[i] + " of row " + i + " outside [0, " + l + ")");
        Tensor out = emptyLike(hidden, b, nq, dq);
        if (b == 0) return out;
        Tensor h = hidden.stride(2) == 1 ? hidden : hidden.contiguous();
        Tensor idx = T.fromLongs(lastIdx, b);
        if (hidden.is_cuda()) idx = idx.to(hidden.device(), torch.ScalarType.Long);
        int rc = NativeKernels.calico_cam_adapt(deviceCode(hidden), dt, addr(h), addr(idx), addr(wa), addr(ba),
                addr(queries), addr(out), b, l, dim, dq, nq, h.stride(0), h.stride(1), stream(hidden));
        NativeLibrary.check(rc, op + T.shapeString(hidden));
        return out;
    }

    /**
     * CAM reintegration scatter-add (calico_cam_scatter_add): hidden [B, L, D] plus, for every image j, proj[j]
     * ([Nq, D]) added to rows {@code starts[j] .. starts[j]+Nq} of batch row {@code rows[j]}. {@code inPlace}: hidden
     * (contiguous) is updated and returned; else a new tensor is returned and hidden is untouched.
     */
    public static Tensor camScatterAdd(Tensor hidden, Tensor proj, long[] rows, long[] starts, boolean inPlace) {
        final String op = "cam_scatter_add";
        NativeLibrary.require();
        int dt = dtypeCode(hidden, op);
        requireShape(op, "hidden", hidden, -1, -1, -1);
        long b = hidden.size(0), l = hidden.size(1), dim = hidden.size(2);
        requireShape(op, "proj", proj, -1, -1, dim);
        long nImg = proj.size(0), nq = proj.size(1);
        sameDeviceDtype(op, hidden, "proj", proj);
        checkSpans(op, rows, starts, nImg, nq, b, l);
        if (inPlace) requireContiguous(op, "hidden", hidden);
        Tensor h = contiguous(hidden);
        Tensor out = inPlace ? hidden : torch.empty_like(h);
        if (b * l == 0) return out;
        Tensor sp = spanTensor(rows, starts, hidden);
        int rc = NativeKernels.calico_cam_scatter_add(deviceCode(hidden), dt, addr(h), addr(out),
                nImg == 0 ? 0L : addr(proj), nImg == 0 ? 0L : addr(sp), b, l, dim, nImg, nq, stream(hidden));
        NativeLibrary.check(rc, op + T.shapeString(hidden));
        return out;
    }

    /** True when {@link #qformerFolded} runs for {@code hidden}'s device and dtype on this machine. */
    public static boolean qformerFoldedAvailable(Tensor hidden) {
        return available(hidden, NativeKernels::calico_qformer_xattn_folded_available);
    }

    /**
     * Q-Former cross-attention with K and V folded (calico_qformer_xattn_folded): hidden [B, Nq, Dq] over encoder
     * [B, S, De], weights wq [Dq, Dq], bq [Dq], wkT = Wk^T [De, Dq], wv [Dq, De], bv [Dq] (bk drops out of the softmax);
     * returns [B, Nq, Dq]. CPU only, where {@link #qformerFoldedAvailable} says so.
     */
    public static Tensor qformerFolded(Tensor hidden, Tensor encoder, Tensor wq, Tensor bq, Tensor wkT, Tensor wv, Tensor bv,
                                       int heads) {
        final String op = "qformer_xattn_folded";
        NativeLibrary.require();
        int dt = dtypeCode(hidden, op);
        requireShape(op, "hidden", hidden, -1, -1, -1);
        long b = hidden.size(0), nq = hidden.size(1), dq = hidden.size(2);
        requireShape(op, "encoder", encoder, b, -1, -1);
        long s = encoder.size(1), de = encoder.size(2);
        if (heads <= 0 || dq % heads != 0) throw new KernelException(op + ": " + heads + " heads do not divide width " + dq);
        requireShape(op, "wq", wq, dq, dq);
        requireShape(op, "bq", bq, dq);
        requireShape(op, "wkT", wkT, de, dq);
        requireShape(op, "wv", wv, dq, de);
        requireShape(op, "bv", bv, dq);
        Tensor h = contiguous(hidden), e = contiguous(encoder);
        wq = contiguous(wq);
        bq = contiguous(bq);
        wkT = contiguous(wkT);
        wv = contiguous(wv);
        bv = contiguous(bv);
        for (Object[] t : new Object[][] {{"encoder", e}, {"wq", wq}, {"bq", bq}, {"wkT", wkT}, {"wv", wv}, {"bv", bv}})
            sameDeviceDtype(op, h, (String) t[0], (Tensor) t[1]);
        Tensor out = emptyLike(hidden, b, nq, dq);
        if (b == 0) return out;
        int rc = NativeKernels.calico_qformer_xattn_folded(deviceCode(hidden), dt, addr(h), addr(e), addr(wq), addr(bq),
                addr(wkT), addr(wv), addr(bv), addr(out), b, nq, dq, s, de, heads, stream(hidden));
        NativeLibrary.check(rc, op + T.shapeString(hidden) + " over " + T.shapeString(encoder));
        return out;
    }

    /** What {@link #linear} runs on this CPU per dtype, for {@code calico info}. */
    public static String cpuGemmPath() {
        NativeLibrary.require();
        String f32 = NativeKernels.calico_linear_available(0, DType.F32.code()) == 1 ? "GEMM tiles (AVX-512 FMA)" : "LibTorch addmm";
        String bf16 = NativeKernels.calico_linear_available(0, DType.BF16.code()) == 1 ? "GEMM tiles (AVX512-BF16)" : "LibTorch addmm";
        return "f32 " + f32 + ", bf16 " + bf16 + ", f16 LibTorch addmm (the native ops' projections; every nn.Linear in "
                + "inference: -Dcalico.kernels.linear=" + Backend.configured(InferenceLinear.OP) + ")";
    }

    /** True when {@link #linear} runs our CPU GEMM for {@code x}'s device and dtype on this machine. */
    public static boolean linearAvailable(Tensor x) { return available(x, NativeKernels::calico_linear_available); }

    /** Whether a CPU-only entry point (its *_available probe: device code, dtype code -> 0/1) runs for t here. */
    private static boolean available(Tensor t, java.util.function.IntBinaryOperator probe) {
        NativeLibrary.require();
        DType d = T.dtype(t);
        return d.code() >= 0 && probe.applyAsInt(deviceCode(t), d.code()) == 1;
    }

    /**
     * The projections of the native ops: {@code residual + x w^T + b} for x [M, K], w [N, K] (nn.Linear layout), b [N]
     * (or null), residual [M, N] (or null), as a new [M, N] tensor. On an AVX-512 CPU (F32; BF16 with AVX512-BF16)
     * one calico_linear call (fp32 accumulation, bias and residual in the epilogue, one rounding); elsewhere (CUDA,
     * F16, other CPUs) LibTorch's addmm with the bias (cuBLASLt's bias epilogue on CUDA), then the residual added in
     * place: two kernels, as eager's {@code x + linear(a)}. (addmm with the residual as its beta = 1 input plus a bias
     * add was three on CUDA, 1.12-1.35x slower on the H200 for CEM's output projection at B=4.)
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, Tensor residual) {
        final String op = "linear";
        requireShape(op, "x", x, -1, -1);
        long m = x.size(0), k = x.size(1);
        requireShape(op, "w", w, -1, k);
        long n = w.size(0);
        if (b != null) requireShape(op, "b", b, n);
        if (residual != null) requireShape(op, "residual", residual, m, n);
        DType d = T.dtype(x);
        if (!linearAvailable(x)) {
            Tensor out = b != null ? torch.addmm(b, x, w.t()) : torch.mm(x, w.t());
            return residual != null ? out.add_(residual) : out;
        }
        Tensor xc = contiguous(x), wc = contiguous(w), bc = contiguous(b), rc0 = contiguous(residual);
        sameDeviceDtype(op, xc, "w", wc);
        sameDeviceDtype(op, xc, "b", bc);
        sameDeviceDtype(op, xc, "residual", rc0);
        Tensor y = emptyLike(x, m, n);
        int rc = NativeKernels.calico_linear(0, d.code(), addr(xc), addr(wc), bc == null ? 0L : addr(bc),
                rc0 == null ? 0L : addr(rc0), addr(y), m, n, k, 0L);
        NativeLibrary.check(rc, op + T.shapeString(x) + "x" + T.shapeString(w));
        return y;
    }

    /**
     * True when {@link #camReintegrateFused} runs for {@code hidden}'s device and dtype on this machine (CPU only:
     * F32 on an AVX-512 CPU, BF16 on an AVX512-BF16 CPU).
     */
    public static boolean camReintegrateFusedAvailable(Tensor hidden) {
        return available(hidden, NativeKernels::calico_cam_reintegrate_fused_available);
    }

    /** True when two images' token spans share a token (same batch row, intervals of length nq intersect). */
    public static boolean spansOverlap(long[] rows, long[] starts, long nq) {
        for (int j = 0; j < rows.length; j++)
            for (int i = 0; i < j; i++)
                if (rows[i] == rows[j] && starts[i] < starts[j] + nq && starts[j] < starts[i] + nq) return true;
        return false;
    }

    /**
     * CAM reintegration with the projection fused in (calico_cam_reintegrate_fused): hidden [B, L, D] plus, for
     * every image j, {@code x[j] @ wr^T + br} ([Nq, D]) added to rows {@code starts[j] .. starts[j]+Nq} of batch row
     * {@code rows[j]}; spans must not overlap. {@code inPlace}: hidden (contiguous) is updated and returned; else a
     * new tensor is returned and hidden is untouched. Only where {@link #camReintegrateFusedAvailable} says so.
     */
    public static Tensor camReintegrateFused(Tensor hidden, Tensor x, Tensor wr, Tensor br, long[] rows, long[] starts,
                                             boolean inPlace) {
        final String op = "cam_reintegrate_fused";
        NativeLibrary.require();
        int dt = dtypeCode(hidden, op);
        requireShape(op, "hidden", hidden, -1, -1, -1);
        long b = hidden.size(0), l = hidden.size(1), dim = hidden.size(2);
        requireShape(op, "x", x, -1, -1, -1);
        long nImg = x.size(0), nq = x.size(1), dq = x.size(2);
        requireShape(op, "wr", wr, dim, dq);
        requireShape(op, "br", br, dim);
        sameDeviceDtype(op, hidden, "x", x);
        sameDeviceDtype(op, hidden, "wr", wr);
        sameDeviceDtype(op, hidden, "br", br);
        checkSpans(op, rows, starts, nImg, nq, b, l);
        if (spansOverlap(rows, starts, nq))
            throw new KernelException(op + ": image token spans overlap; use camScatterAdd on a projection");
        if (inPlace) requireContiguous(op, "hidden", hidden);
        Tensor h = contiguous(hidden);
        Tensor out = inPlace ? hidden : torch.empty_like(h);
        if (b * l == 0) return out;
        Tensor sp = spanTensor(rows, starts, hidden);
        int rc = NativeKernels.calico_cam_reintegrate_fused(deviceCode(hidden), dt, addr(h), addr(out),
                nImg == 0 ? 0L : addr(x), addr(wr), addr(br), nImg == 0 ? 0L : addr(sp), b, l, dim, nImg, nq, dq,
                stream(hidden));
        NativeLibrary.check(rc, op + T.shapeString(hidden));
        return out;
    }

    /** The spans as an int64 [n, 2] tensor of (batch row, start) on hidden's device (the kernels' layout). */
    private static Tensor spanTensor(long[] rows, long[] starts, Tensor hidden) {
        long[] spans = new long[2 * rows.length];
        for (int j = 0; j < rows.length; j++) {
            spans[2 * j] = rows[j];
            spans[2 * j + 1] = starts[j];
        }
        Tensor sp = T.fromLongs(spans, rows.length, 2);
        return hidden.is_cuda() ? sp.to(hidden.device(), torch.ScalarType.Long) : sp;
    }

    static void checkSpans(String op, long[] rows, long[] starts, long nImg, long nq, long b, long l) {
        if (rows.length != starts.length || rows.length != nImg)
            throw new KernelException(op + ": " + rows.length + " batch rows and " + starts.length + " starts for " + nImg + " images");
        for (int j = 0; j < rows.length; j++) {
            if (rows[j] < 0 || rows[j] >= b)
                throw new KernelException(op + ": image " + j + " batch row " + rows[j] + " outside [0, " + b + ")");
            if (starts[j] < 0 || starts[j] + nq > l)
                throw new KernelException(op + ": image " + j + " token span [" + starts[j] + ", " + (starts[j] + nq)
                        + ") outside the sequence of length " + l);
        }
    }

    /**
     * SAM upscaling stage 1 (calico_sam_upscale_ln_gelu): y [n, 4c, h, w] (rows (a, b, o)) -> GELU(LayerNorm2d(pixel
     * shuffle(y) + bias)) [n, c, 2h, 2w].
     */
    public static Tensor samUpscaleLnGelu(Tensor y, Tensor bias, Tensor lnW, Tensor lnB, double eps) {
        final String op = "sam_upscale_ln_gelu";
        NativeLibrary.require();
        int dt = dtypeCode(y, op);
        requireShape(op, "y", y, -1, -1, -1, -1);
        long n = y.size(0), c4 = y.size(1), h = y.size(2), w = y.size(3);
        if (c4 % 4 != 0 || c4 == 0) throw new KernelException(op + ": 'y' has " + c4 + " rows, not 4 x channels");
        long c = c4 / 4;
        requireShape(op, "bias", bias, c);
        requireShape(op, "ln_w", lnW, c);
        requireShape(op, "ln_b", lnB, c);
        requireContiguous(op, "y", y);
        for (Tensor t : new Tensor[] {bias, lnW, lnB}) sameDeviceDtype(op, y, "parameter", t);
        if (NativeLibrary.onCuda(y) && c > 256) throw new KernelException(op + ": " + c + " channels > 256 not supported by the CUDA kernel");
        Tensor out = emptyLike(y, n, c, 2 * h, 2 * w);
        if (n == 0) return out;
        int rc = NativeKernels.calico_sam_upscale_ln_gelu(deviceCode(y), dt, addr(y), addr(bias), addr(lnW),
                addr(lnB), addr(out), n, h, w, c, (float) eps, stream(y));
        NativeLibrary.check(rc, op + T.shapeString(y));
        return out;
    }

    /** SAM upscaling stage 2 (calico_sam_upscale_gelu): y [n, 4c, h, w] -> GELU(pixel shuffle(y) + bias) [n, c, 2h, 2w]. */
    public static Tensor samUpscaleGelu(Tensor y, Tensor bias) { return samStage2("sam_upscale_gelu", y, bias, null); }

    /**
     * SAM upscaling stage 2 fused with the hypernetwork product (calico_sam_hyper_masks): y [n, 4c, h, w],
     * hyper [n, m, c] -> masks [n, m, 2h, 2w].
     */
    public static Tensor samHyperMasks(Tensor y, Tensor bias, Tensor hyper) { return samStage2("sam_hyper_masks", y, bias, hyper); }

    private static Tensor samStage2(String op, Tensor y, Tensor bias, Tensor hyper) {
        NativeLibrary.require();
        int dt = dtypeCode(y, op);
        requireShape(op, "y", y, -1, -1, -1, -1);
        long n = y.size(0), c4 = y.size(1), h = y.size(2), w = y.size(3);
        if (c4 % 4 != 0 || c4 == 0) throw new KernelException(op + ": 'y' has " + c4 + " rows, not 4 x channels");
        long c = c4 / 4;
        requireShape(op, "bias", bias, c);
        requireContiguous(op, "y", y);
        sameDeviceDtype(op, y, "bias", bias);
        if (NativeLibrary.onCuda(y) && c > 256) throw new KernelException(op + ": " + c + " channels > 256 not supported by the CUDA kernel");
        long m = 0;
        if (hyper != null) {
            requireShape(op, "hyper_in", hyper, n, -1, c);
            sameDeviceDtype(op, y, "hyper_in", hyper);
            m = hyper.size(1);
            if (m < 1) throw new KernelException(op + ": 'hyper_in' has no mask tokens");
            if (NativeLibrary.onCuda(y) && m > 16) throw new KernelException(op + ": " + m + " mask tokens > 16 not supported by the CUDA kernel");
        }
        Tensor out = emptyLike(y, n, hyper == null ? c : m, 2 * h, 2 * w);
        if (n == 0) return out;
        int rc = hyper == null
                ? NativeKernels.calico_sam_upscale_gelu(deviceCode(y), dt, addr(y), addr(bias), addr(out), n, h, w, c, stream(y))
                : NativeKernels.calico_sam_hyper_masks(deviceCode(y), dt, addr(y), addr(bias), addr(hyper),
                        addr(out), n, h, w, c, m, stream(y));
        NativeLibrary.check(rc, op + T.shapeString(y));
        return out;
    }

    /**
     * Fused LayerNorm over the last dim. x [..., C] (last dim contiguous), w/b [C]. Returns a new contiguous tensor.
     */
    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        final String op = "layer_norm";
        NativeLibrary.require();
        long c = x.size(-1);
        if (w == null) throw new KernelException(op + ": weight is required");
        if (w.dim() != 1 || w.size(0) != c)
            throw new KernelException(op + ": weight shape " + T.shapeString(w) + " does not match input last dim " + c);
        if (b != null && (b.dim() != 1 || b.size(0) != c))
            throw new KernelException(op + ": bias shape " + T.shapeString(b) + " does not match input last dim " + c);
        int dt = dtypeCode(x, op);
        sameDeviceDtype(op, x, "weight", w);
        sameDeviceDtype(op, x, "bias", b);
        Tensor xc = x.contiguous();
        long rows = x.numel() / Math.max(1, c);
        Tensor y = org.bytedeco.pytorch.global.torch.empty_like(xc);
        if (x.numel() == 0) return y;
        int rc = NativeKernels.calico_layer_norm(deviceCode(x), dt, addr(xc), addr(y), addr(w),
                b == null ? 0L : addr(b), rows, c, c, c, (float) eps, stream(x));
        NativeLibrary.check(rc, op + Arrays.toString(T.shape(x)));
        return y;
    }

    /** Largest row count {@link #skinnyLinear} takes. */
    public static final int SKINNY_MAX_ROWS = 8;

    /**
     * x @ w^T for a few rows (LLM decode steps): x [..., K] with at most {@link #SKINNY_MAX_ROWS} rows in total,
     * w [N, K] contiguous, same dtype (F32/BF16/F16) and device; fp32 accumulation. Returns [..., N]. No autograd.
     */
    public static Tensor skinnyLinear(Tensor x, Tensor w) {
        final String op = "skinny_gemm";
        NativeLibrary.require();
        if (w.dim() != 2) throw new KernelException(op + ": weight must be [N, K], got " + T.shapeString(w));
        long k = w.size(1), n = w.size(0);
        if (x.dim() < 1 || x.size(-1) != k)
            throw new KernelException(op + ": input " + T.shapeString(x) + " does not match weight " + T.shapeString(w));
        long m = x.numel() / k;
        if (m < 1 || m > SKINNY_MAX_ROWS) throw new KernelException(op + ": input has " + m + " rows, the kernel takes 1.." + SKINNY_MAX_ROWS);
        int dt = dtypeCode(x, op);
        sameDeviceDtype(op, x, "weight", w);
        Tensor xc = x.contiguous();
        long[] outShape = T.shape(x);
        outShape[outShape.length - 1] = n;
        Tensor y = org.bytedeco.pytorch.global.torch.empty(outShape, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()).device(
                new org.bytedeco.pytorch.DeviceOptional(x.device())), null);
        int rc = NativeKernels.calico_skinny_gemm(deviceCode(x), dt, T.address(xc), T.address(w), T.address(y), m, n, k, stream(x));
        NativeLibrary.check(rc, op + Arrays.toString(T.shape(x)) + "x" + Arrays.toString(T.shape(w)));
        return y;
    }

    private static volatile Boolean skinnyBf16Dot;

    /**
     * True when the skinny kernel runs BF16 weights with VDPBF16PS on this CPU: the CPU probe behind it
     * ({@code cpu_avx512_bf16} in kernel_util) is the one of the BF16 GEMM tiles, asked once.
     */
    public static boolean skinnyHasBf16Dot() {
        Boolean b = skinnyBf16Dot;
        if (b == null) {
            NativeLibrary.require();
            skinnyBf16Dot = b = NativeKernels.calico_linear_available(0, DType.BF16.code()) == 1;
        }
        return b;
    }

    /** The CPU path of {@link #skinnyLinear} on this machine ("avx512f", "avx2+fma" or "scalar"). */
    public static String skinnyPath() {
        NativeLibrary.require();
        return NativeKernels.calico_skinny_gemm_path().getString();
    }
}
