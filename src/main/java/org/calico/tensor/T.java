package org.calico.tensor;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.calico.runtime.CalicoRuntime;

/**
 * Thin, typed wrappers over LibTorch's functional ops, so that model code reads like the upstream PyTorch.
 * Every method returns a new tensor owned by the caller's {@link org.bytedeco.javacpp.PointerScope} (or by the
 * caller, where there is none). Shapes use PyTorch's conventions: Linear weights {@code [out, in]}, Conv2d
 * {@code [out, in, kh, kw]}, ConvTranspose2d {@code [in, out, kh, kw]}.
 */
public final class T {
    static {
        CalicoRuntime.init();
    }

    private T() {}

    // ------------------------------------------------------------------ creation

    public static TensorOptions options(DType dtype, Dev dev) {
        TensorOptions o = new TensorOptions(dtype.scalarType());
        if (dev != null && dev.cuda()) o = o.device(new org.bytedeco.pytorch.DeviceOptional(dev.torch()));
        return o;
    }

    public static Tensor zeros(DType dtype, Dev dev, long... shape) {
        return torch.zeros(shape, options(dtype, dev));
    }

    public static Tensor zeros(long... shape) { return zeros(DType.F32, Dev.CPU, shape); }

    public static Tensor ones(DType dtype, Dev dev, long... shape) {
        return torch.ones(shape, options(dtype, dev));
    }

    public static Tensor empty(DType dtype, Dev dev, long... shape) {
        return torch.empty(shape, options(dtype, dev), null);
    }

    public static Tensor full(DType dtype, Dev dev, double value, long... shape) {
        return torch.full(shape, new Scalar(value), options(dtype, dev));
    }

    /** Standard normal samples from LibTorch's global generator (seed with {@link #seed(long)}). */
    public static Tensor randn(DType dtype, Dev dev, long... shape) {
        return torch.randn(shape, options(dtype, dev));
    }

    /** Uniform [0, 1) samples. */
    public static Tensor rand(DType dtype, Dev dev, long... shape) {
        return torch.rand(shape, options(dtype, dev));
    }

    public static void seed(long seed) { torch.manual_seed(seed); }

    /** 0, 1, ..., n-1 as I64. */
    public static Tensor arange(long n) {
        return torch.arange(new Scalar(n), new TensorOptions(torch.ScalarType.Long));
    }

    /** start, start+1, ..., end-1 in the given dtype. */
    public static Tensor arange(double start, double end, DType dtype) {
        return torch.arange(new Scalar(start), new Scalar(end), new TensorOptions(dtype.scalarType()));
    }

    /** A CPU F32 tensor holding a copy of {@code data}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Float), null);
        if (data.length > 0) new FloatPointer(t.data_ptr()).capacity(data.length).put(data);
        return t;
    }

    /** A CPU I64 tensor holding a copy of {@code data}. */
    public static Tensor fromLongs(long[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Long), null);
        if (data.length > 0) new LongPointer(t.data_ptr()).capacity(data.length).put(data);
        return t;
    }

    /** A CPU U8 tensor holding a copy of {@code data}. */
    public static Tensor fromBytes(byte[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Byte), null);
        if (data.length > 0) new BytePointer(t.data_ptr()).capacity(data.length).put(data);
        return t;
    }

    /** A CPU tensor of {@code dtype} copied from little-endian raw bytes. */
    public static Tensor fromRaw(DType dtype, java.nio.ByteBuffer raw, long... shape) {
        long n = numel(shape);
        if (raw.remaining() != n * dtype.bytes())
            throw new IllegalArgumentException("raw data holds " + raw.remaining() + " bytes, shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs " + n * dtype.bytes());
        Tensor t = torch.empty(shape, new TensorOptions(dtype.scalarType()), null);
        if (n > 0) {
            BytePointer dst = new BytePointer(t.data_ptr()).capacity(n * dtype.bytes());
            dst.asBuffer().put(raw.duplicate());
        }
        return t;
    }

    private static void checkCount(int len, long[] shape) {
        long n = numel(shape);
        if (n != len)
            throw new IllegalArgumentException("data has " + len + " elements, shape " + Arrays.toString(shape) + " needs " + n);
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    // ------------------------------------------------------------------ inspection / copies out

    public static long[] shape(Tensor t) {
        int d = (int) t.dim();
        long[] s = new long[d];
        for (int i = 0; i < d; i++) s[i] = t.size(i);
        return s;
    }

    public static String shapeString(Tensor t) { return Arrays.toString(shape(t)); }

    public static DType dtype(Tensor t) { return DType.of(t.scalar_type()); }

    public static boolean isCuda(Tensor t) { return t.is_cuda(); }

    /** Elements as float[] (converted to F32 on the CPU, contiguous). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(new org.bytedeco.pytorch.Device("cpu"), torch.ScalarType.Float).contiguous();
        long n = c.numel();
        float[] out = new float[Math.toIntExact(n)];
        if (n > 0) new FloatPointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    /** Elements as long[] (converted to I64 on the CPU, contiguous). */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.to(new org.bytedeco.pytorch.Device("cpu"), torch.ScalarType.Long).contiguous();
        long n = c.numel();
        long[] out = new long[Math.toIntExact(n)];
        if (n > 0) new LongPointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    /** Elements as byte[] (U8 on the CPU, contiguous). */
    public static byte[] toBytes(Tensor t) {
        Tensor c = t.to(new org.bytedeco.pytorch.Device("cpu"), torch.ScalarType.Byte).contiguous();
        long n = c.numel();
        byte[] out = new byte[Math.toIntExact(n)];
        if (n > 0) new BytePointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    /** Raw little-endian bytes of a CPU tensor in its own dtype (contiguous copy). */
    public static byte[] rawBytes(Tensor t) {
        Tensor c = t.is_cuda() ? t.cpu().contiguous() : t.contiguous();
        long n = c.nbytes();
        byte[] out = new byte[Math.toIntExact(n)];
        if (n > 0) new BytePointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    public static float item(Tensor t) { return t.item_float(); }

    /** Sets {@code p.grad = g} (a copy), as PyTorch's {@code p.grad = g.clone()}. */
    public static void setGrad(Tensor p, Tensor g) { p.mutable_grad().put(g.detach().clone()); }

    /** Address of the first element (for native kernels). */
    public static long address(Tensor t) { return t.data_ptr().address(); }

    /** A deep copy detached from autograd, same dtype/device. */
    public static Tensor copy(Tensor t) { return t.detach().clone(); }

    public static Tensor to(Tensor t, DType dtype) { return t.to(dtype.scalarType()); }

    public static Tensor to(Tensor t, Dev dev, DType dtype) { return t.to(dev.torch(), dtype.scalarType()); }

    /** Keeps {@code t} alive past the enclosing PointerScope; release it with {@link #release(Pointer)} or close(). */
    public static <P extends Pointer> P keep(P t) {
        t.retainReference();
        return t;
    }

    /**
     * A new shallow handle to {@code t} (same storage, own refcount) that survives the enclosing PointerScope and
     * is independent of the caller closing {@code t}; release it with {@link #release(Pointer)}.
     */
    public static Tensor handle(Tensor t) { return keep(new Tensor(t)); }

    public static void release(Pointer p) {
        if (p != null && !p.isNull()) p.releaseReference();
    }

    // ------------------------------------------------------------------ elementwise / reductions

    public static Scalar s(double v) { return new Scalar(v); }

    public static Tensor add(Tensor a, Tensor b) { return a.add(b); }

    public static Tensor sub(Tensor a, Tensor b) { return a.sub(b); }

    public static Tensor mul(Tensor a, Tensor b) { return a.mul(b); }

    public static Tensor mul(Tensor a, double v) { return a.mul(new Scalar(v)); }

    public static Tensor add(Tensor a, double v) { return a.add(new Scalar(v)); }

    public static Tensor div(Tensor a, double v) { return a.div(new Scalar(v)); }

    public static Tensor matmul(Tensor a, Tensor b) { return torch.matmul(a, b); }

    /** x + a * b in one pass (torch.addcmul), broadcasting. */
    public static Tensor addcmul(Tensor x, Tensor a, Tensor b) { return torch.addcmul(x, a, b); }

    public static Tensor relu(Tensor x) { return torch.relu(x); }

    /** Exact (erf) GELU, as nn.GELU(). */
    public static Tensor gelu(Tensor x) { return torch.gelu(x); }

    /** Tanh-approximated GELU. */
    public static Tensor geluTanh(Tensor x) { return torch.gelu(x, "tanh"); }

    public static Tensor silu(Tensor x) { return torch.silu(x); }

    public static Tensor sigmoid(Tensor x) { return torch.sigmoid(x); }

    public static Tensor softmax(Tensor x, long dim) { return torch.softmax(x, dim); }

    /** Softmax computed in {@code acc} precision (e.g. F32 for a bf16 input), returned in {@code acc}. */
    public static Tensor softmax(Tensor x, long dim, DType acc) {
        return torch.softmax(x, dim, new ScalarTypeOptional(acc.scalarType()));
    }

    public static Tensor sum(Tensor x) { return x.sum(); }

    public static Tensor cat(long dim, Tensor... ts) { return torch.cat(new TensorVector(ts), dim); }

    public static Tensor cat(long dim, List<Tensor> ts) { return torch.cat(new TensorVector(ts.toArray(new Tensor[0])), dim); }

    public static Tensor stack(long dim, Tensor... ts) { return torch.stack(new TensorVector(ts), dim); }

    public static Tensor stack(long dim, List<Tensor> ts) { return torch.stack(new TensorVector(ts.toArray(new Tensor[0])), dim); }

    /** max |a - b| over all elements (both converted to F32); +inf on shape mismatch. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        if (!Arrays.equals(shape(a), shape(b))) return Double.POSITIVE_INFINITY;
        if (a.numel() == 0) return 0;
        Tensor d = torch.abs(a.to(torch.ScalarType.Float).sub(b.to(torch.ScalarType.Float)));
        return torch.max(d).item_float();
    }

    // ------------------------------------------------------------------ nn.functional

    /** y = x W^T + b. x: [..., in], w: [out, in], b: [out] or null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        return b == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(b));
    }

    /** LayerNorm over the last dimension. w, b: [C] (either may be null). */
    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        long c = x.size(-1);
        return torch.layer_norm(x, new long[] {c}, w == null ? new TensorOptional() : new TensorOptional(w),
                b == null ? new TensorOptional() : new TensorOptional(b), eps, false);
    }

    /**
     * Scaled dot-product attention, softmax(q k^T * scale + mask) v.
     * q: [B, H, Lq, D], k/v: [B, H, Lk, D] (v may have its own last dim); mask additive float or bool
     * (true = attend), broadcastable to [B, H, Lq, Lk], or null. scale <= 0 means 1/sqrt(D).
     */
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask, double scale, boolean causal) {
        return torch.scaled_dot_product_attention(q, k, v, mask == null ? new TensorOptional() : new TensorOptional(mask),
                0.0, causal, scale > 0 ? new DoubleOptional(scale) : new DoubleOptional(), false);
    }

    public static Tensor sdpa(Tensor q, Tensor k, Tensor v) { return sdpa(q, k, v, null, 0, false); }

    // ------------------------------------------------------------------ added for the language model (issue 5)

    /** Mean over one dimension. */
    public static Tensor mean(Tensor x, long dim, boolean keepdim) {
        return x.mean(new long[] {dim}, keepdim, new ScalarTypeOptional());
    }

    /** Elementwise x^p. */
    public static Tensor pow(Tensor x, double p) { return torch.pow(x, new Scalar(p)); }

    /** Elementwise 1 / sqrt(x). */
    public static Tensor rsqrt(Tensor x) { return x.rsqrt(); }

    /** Dropout with probability p; identity unless {@code train}. */
    public static Tensor dropout(Tensor x, double p, boolean train) { return torch.dropout(x, p, train); }

    /** Index of the maximum along {@code dim} (first occurrence on ties). */
    public static Tensor argmax(Tensor x, long dim) { return x.argmax(new org.bytedeco.pytorch.LongOptional(dim), false); }

    /** 2-D convolution. x: [B, Cin, H, W], w: [Cout, Cin/groups, kh, kw]. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, long stride, long padding) {
        return torch.conv2d(x, w, b == null ? new TensorOptional() : new TensorOptional(b),
                new long[] {stride, stride}, new long[] {padding, padding}, new long[] {1, 1}, 1);
    }

    /** 2-D transposed convolution. x: [B, Cin, H, W], w: [Cin, Cout, kh, kw]. */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor b, long stride) {
        return torch.conv_transpose2d(x, w, b == null ? new TensorOptional() : new TensorOptional(b),
                new long[] {stride, stride}, new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
    }

    /** Bilinear resize of [B, C, H, W] to (h, w), as F.interpolate(mode="bilinear", align_corners=ac). */
    public static Tensor resizeBilinear(Tensor x, long h, long w, boolean alignCorners) {
        return torch.upsample_bilinear2d(x, new long[] {h, w}, alignCorners);
    }

    /** Embedding lookup: table [V, D], ids I64 [...] -> [..., D]. */
    public static Tensor embedding(Tensor table, Tensor ids) { return torch.embedding(table, ids); }

    /** Zero padding of the last dims, PyTorch F.pad order (left, right, top, bottom, ...). */
    public static Tensor pad(Tensor x, long... pads) { return torch.constant_pad_nd(x, pads); }

    // ------------------------------------------------------------------ indexing

    /** Rows of {@code x} along {@code dim} picked by I64 {@code index} [n] (torch.index_select). */
    public static Tensor indexSelect(Tensor x, long dim, Tensor index) { return torch.index_select(x, dim, index); }

    /**
     * Out-of-place {@code x.index_add(dim, index, source)}: a copy of x where slice {@code index[i]} along
     * {@code dim} gets {@code source}'s slice i added. index: I64 [n]; source: x's shape with n at {@code dim}.
     */
    public static Tensor indexAdd(Tensor x, long dim, Tensor index, Tensor source) { return torch.index_add(x, dim, index, source); }
}
