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

    public static native void calico_set_num_threads(int n);

    public static native int calico_get_num_threads();

    public static native int calico_mha(int device, int dtype, @Cast("int64_t") long q, @Cast("int64_t") long k,
                                        @Cast("int64_t") long v, @Cast("int64_t") long out, @Cast("int64_t") long batch,
                                        @Cast("int64_t") long heads, @Cast("int64_t") long lq, @Cast("int64_t") long lk,
                                        @Cast("int64_t") long d, @Cast("int64_t") long qBs, @Cast("int64_t") long qRs,
                                        @Cast("int64_t") long kBs, @Cast("int64_t") long kRs, @Cast("int64_t") long vBs,
                                        @Cast("int64_t") long vRs, @Cast("int64_t") long oBs, @Cast("int64_t") long oRs,
                                        float scale, @Cast("int64_t") long workspace,
                                        @Cast("int64_t") long workspaceBytes, @Cast("int64_t") long stream);

    public static native @Cast("int64_t") long calico_mha_workspace_bytes(int device, @Cast("int64_t") long batch,
                                                                         @Cast("int64_t") long heads, @Cast("int64_t") long lq,
                                                                         @Cast("int64_t") long lk, @Cast("int64_t") long d);

    public static native int calico_cam_adapt(int device, int dtype, @Cast("int64_t") long hidden,
                                              @Cast("int64_t") long lastIdx, @Cast("int64_t") long wa,
                                              @Cast("int64_t") long ba, @Cast("int64_t") long queries,
                                              @Cast("int64_t") long out, @Cast("int64_t") long batch,
                                              @Cast("int64_t") long seq, @Cast("int64_t") long dim,
                                              @Cast("int64_t") long dq, @Cast("int64_t") long nq,
                                              @Cast("int64_t") long hBs, @Cast("int64_t") long hRs,
                                              @Cast("int64_t") long stream);

    public static native int calico_qformer_xattn_folded(int device, int dtype, @Cast("int64_t") long hidden,
                                                         @Cast("int64_t") long encoder, @Cast("int64_t") long wq,
                                                         @Cast("int64_t") long bq, @Cast("int64_t") long wkT,
                                                         @Cast("int64_t") long wv, @Cast("int64_t") long bv,
                                                         @Cast("int64_t") long out, @Cast("int64_t") long batch,
                                                         @Cast("int64_t") long nq, @Cast("int64_t") long dq,
                                                         @Cast("int64_t") long seq, @Cast("int64_t") long de,
                                                         @Cast("int64_t") long heads, @Cast("int64_t") long stream);

    public static native int calico_qformer_xattn_folded_available(int device, int dtype);

    public static native int calico_linear(int device, int dtype, @Cast("int64_t") long x, @Cast("int64_t") long w,
                                           @Cast("int64_t") long b, @Cast("int64_t") long residual,
                                           @Cast("int64_t") long y, @Cast("int64_t") long m, @Cast("int64_t") long n,
                                           @Cast("int64_t") long k, @Cast("int64_t") long stream);

    public static native int calico_linear_available(int device, int dtype);

    public static native int calico_cam_reintegrate_fused(int device, int dtype, @Cast("int64_t") long hidden,
                                                          @Cast("int64_t") long out, @Cast("int64_t") long x,
                                                          @Cast("int64_t") long wr, @Cast("int64_t") long br,
                                                          @Cast("int64_t") long spans, @Cast("int64_t") long batch,
                                                          @Cast("int64_t") long seq, @Cast("int64_t") long dim,
                                                          @Cast("int64_t") long nImg, @Cast("int64_t") long nq,
                                                          @Cast("int64_t") long dq, @Cast("int64_t") long stream);

    public static native int calico_cam_reintegrate_fused_available(int device, int dtype);

    public static native int calico_cam_scatter_add(int device, int dtype, @Cast("int64_t") long hidden,
                                                    @Cast("int64_t") long out, @Cast("int64_t") long proj,
                                                    @Cast("int64_t") long spans, @Cast("int64_t") long batch,
                                                    @Cast("int64_t") long seq, @Cast("int64_t") long dim,
                                                    @Cast("int64_t") long nImg, @Cast("int64_t") long nq,
                                                    @Cast("int64_t") long stream);

    public static native int calico_sam_upscale_ln_gelu(int device, int dtype, @Cast("int64_t") long y,
                                                        @Cast("int64_t") long bias, @Cast("int64_t") long lnW,
                                                        @Cast("int64_t") long lnB, @Cast("int64_t") long out,
                                                        @Cast("int64_t") long n, @Cast("int64_t") long h,
                                                        @Cast("int64_t") long w, @Cast("int64_t") long c, float eps,
                                                        @Cast("int64_t") long stream);

    public static native int calico_sam_upscale_gelu(int device, int dtype, @Cast("int64_t") long y,
                                                     @Cast("int64_t") long bias, @Cast("int64_t") long out,
                                                     @Cast("int64_t") long n, @Cast("int64_t") long h,
                                                     @Cast("int64_t") long w, @Cast("int64_t") long c,
                                                     @Cast("int64_t") long stream);

    public static native int calico_sam_hyper_masks(int device, int dtype, @Cast("int64_t") long y,
                                                    @Cast("int64_t") long bias, @Cast("int64_t") long hyper,
                                                    @Cast("int64_t") long out, @Cast("int64_t") long n,
                                                    @Cast("int64_t") long h, @Cast("int64_t") long w,
                                                    @Cast("int64_t") long c, @Cast("int64_t") long m,
                                                    @Cast("int64_t") long stream);
    /** calico_kernels.h: y = x @ w^T for 1..8 rows (LLM decode). */
    public static native int calico_skinny_gemm(int device, int dtype, @Cast("int64_t") long x, @Cast("int64_t") long w,
                                                @Cast("int64_t") long y, @Cast("int64_t") long m, @Cast("int64_t") long n,
                                                @Cast("int64_t") long k, @Cast("int64_t") long stream);

    public static native @Cast("const char*") BytePointer calico_skinny_gemm_path();
}
