// calico_kernels.h -- C ABI of CALICO's own kernels (CPU in src/main/cpp, CUDA in cuda/).
//
// Every kernel receives raw addresses (as int64, from LibTorch's Tensor.data_ptr()), sizes and
// element strides; the Java side (org.calico.kernels) checks shapes, dtypes and contiguity before
// calling. Functions return CALICO_OK (0) or a negative error code; calico_last_error() gives the
// message for the calling thread.
#ifndef CALICO_KERNELS_H
#define CALICO_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CALICO_OK = 0,
    CALICO_ERR_ARG = -1,        // invalid argument (shape, stride, dtype)
    CALICO_ERR_NO_CUDA = -2,    // built without CUDA, or no CUDA device / runtime
    CALICO_ERR_CUDA = -3,       // a CUDA call failed
    CALICO_ERR_UNSUPPORTED = -4 // dtype or configuration not implemented
};

// dtype codes shared with org.calico.tensor.DType#code()
enum {
    CALICO_F32 = 0,
    CALICO_F16 = 1,
    CALICO_BF16 = 2
};

/** Human-readable message of the last error on this thread ("" if none). */
const char* calico_last_error(void);

/** Build description: compiler, CPU dispatch, CUDA architectures compiled in. */
const char* calico_build_info(void);

/**
 * Sets the thread count of the OpenBLAS already loaded in this process (by LibTorch), which keeps its own pool.
 * Returns 1 if OpenBLAS was found, 0 otherwise.
 */
int calico_set_blas_threads(int n);

/** 1 if the CUDA kernels were compiled into this library, else 0. */
int calico_cuda_compiled(void);

/** Number of usable CUDA devices; 0 where there is none or no CUDA runtime/driver (never crashes). */
int calico_cuda_device_count(void);

/** Status string of the CUDA probe, e.g. "no CUDA device (cudaErrorNoDevice)" or "1 device(s): NVIDIA H100". */
const char* calico_cuda_status(void);

/**
 * LayerNorm over the last dimension: y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * w + b.
 * x, y: [rows, cols] with row strides x_stride / y_stride (in elements), last dim contiguous.
 * w, b: [cols] contiguous, same dtype as x (b may be 0 = no bias). Statistics in fp32.
 * device: 0 = CPU, 1 = CUDA (stream = cudaStream_t as int64, 0 = default stream).
 */
int calico_layer_norm(int device, int dtype, int64_t x, int64_t y, int64_t w, int64_t b,
                      int64_t rows, int64_t cols, int64_t x_stride, int64_t y_stride,
                      float eps, int64_t stream);


/**
 * Skinny matrix product for LLM decode steps: y[m, n] = sum_k x[m, k] * w[n, k] (x @ w^T, nn.Linear without bias)
 * for 1 <= m <= 8 rows. x [m, k], w [n, k], y [m, n], all contiguous and of the same dtype (F32 / BF16 / F16);
 * fp32 accumulation, one rounding at the end. device: 0 = CPU, 1 = CUDA (stream as in calico_layer_norm).
 */
int calico_skinny_gemm(int device, int dtype, int64_t x, int64_t w, int64_t y, int64_t m, int64_t n, int64_t k,
                       int64_t stream);

/** The CPU path calico_skinny_gemm uses on this machine: "avx512f", "avx2+fma" or "scalar". */
const char* calico_skinny_gemm_path(void);

#ifdef __cplusplus
}
#endif

#endif  // CALICO_KERNELS_H
