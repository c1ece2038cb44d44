package org.calico.vision;

import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/** Shared helpers of the vision tests. */
final class VisionTestSupport {
    private VisionTestSupport() {}

    static Path resource(String name) {
        return TestSupport.repoDir().resolve("src/test/resources/vision").resolve(name);
    }

    /** True when both tensors have the same shape, dtype and bit pattern (torch.equal). */
    static boolean bitEqual(Tensor a, Tensor b) {
        return java.util.Arrays.equals(T.shape(a), T.shape(b)) && T.dtype(a) == T.dtype(b)
                && java.util.Arrays.equals(T.rawBytes(a), T.rawBytes(b));
    }

    static Tensor randn(long... shape) { return T.randn(DType.F32, org.calico.tensor.Dev.CPU, shape); }
}
