package org.calico.kernels;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code src/main/cpp/calico_kernels.h}: CALICO's own CPU and CUDA kernels, linked from the
 * CMake-built {@code libcalico_kernels}. Raw entry points: callers go through the checked wrappers in this package
 * ({@link NativeOps}), which validate shapes, dtypes, devices and contiguity on the Java side first.
 */
@Platform(include = "calico_kernels.h", link = "calico_kernels")
public final class NativeKernels {
    static {
        org.calico.runtime.CalicoRuntime.init(); // LibTorch (and its libgomp) first
        Loader.load();
    }

    private NativeKernels() {}

    public static native @Cast("const char*") BytePointer calico_last_error();

    public static native @Cast("const char*") BytePointer calico_build_info();

    public static native int calico_cuda_compiled();

    public static native int calico_set_blas_threads(int n);

    public static native int calico_cuda_device_count();

    public static native @Cast("const char*") BytePointer calico_cuda_status();

    public static native int calico_layer_norm(int device, int dtype, @Cast("int64_t") long x, @Cast("int64_t") long y,
                                               @Cast("int64_t") long w, @Cast("int64_t") long b, @Cast("int64_t") long rows,
                                               @Cast("int64_t") long cols, @Cast("int64_t") long xStride,
                                               @Cast("int64_t") long yStride, float eps, @Cast("int64_t") long stream);

    /** calico_kernels.h: y = x @ w^T for 1..8 rows (LLM decode). */
    public static native int calico_skinny_gemm(int device, int dtype, @Cast("int64_t") long x, @Cast("int64_t") long w,
                                                @Cast("int64_t") long y, @Cast("int64_t") long m, @Cast("int64_t") long n,
                                                @Cast("int64_t") long k, @Cast("int64_t") long stream);

    public static native @Cast("const char*") BytePointer calico_skinny_gemm_path();
}
