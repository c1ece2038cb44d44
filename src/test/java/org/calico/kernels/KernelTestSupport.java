package org.calico.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.calico.TestSupport;
import org.calico.io.SafeTensors;
import org.calico.io.StateDict;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/** Random inputs and tolerance checks shared by the kernel tests. */
final class KernelTestSupport {
    private KernelTestSupport() {}

    /** N(0, scale^2) in F32, converted to {@code dtype}. */
    static Tensor randn(DType dtype, double scale, long... shape) {
        return T.randn(DType.F32, Dev.CPU, shape).mul(new Scalar(scale)).to(dtype.scalarType());
    }

    static Tensor randn(long... shape) { return randn(DType.F32, 1.0, shape); }

    /** A Linear weight [out, in] ~ N(0, 1/in) and bias [out] ~ N(0, 0.05^2) in {@code dtype}. */
    static Tensor[] linear(DType dtype, long out, long in) {
        return new Tensor[] {randn(dtype, 1.0 / Math.sqrt(in), out, in), randn(dtype, 0.05, out)};
    }

    static Tensor f32(Tensor t) { return t.to(torch.ScalarType.Float); }

    /**
     * numpy allclose: every |actual - expected| <= atol + rtol |expected| (both compared in F32, shapes equal);
     * returns the max abs error for reporting.
     */
    static double assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertArrayEquals(T.shape(expected), T.shape(actual), what + ": shape");
        if (expected.numel() == 0) return 0;
        Tensor e = f32(expected), a = f32(actual);
        Tensor diff = torch.abs(a.sub(e));
        Tensor bound = torch.abs(e).mul(new Scalar(rtol)).add(new Scalar(atol));
        double worst = torch.max(diff.sub(bound)).item_float();
        double maxAbs = torch.max(diff).item_float();
        if (!(worst <= 0) || Double.isNaN(maxAbs))
            fail(what + ": max abs error " + maxAbs + " exceeds atol " + atol + " + rtol " + rtol + " |expected| (worst excess " + worst + ")");
        return maxAbs;
    }

    /** The fixture written by scripts/make_kernel_fixtures.py. */
    static StateDict fixture(String name) {
        Path p = TestSupport.repoDir().resolve("src/test/resources/kernels/" + name + ".safetensors");
        return SafeTensors.read(p);
    }

    static long[] longs(Tensor t) { return T.toLongs(t); }
}
