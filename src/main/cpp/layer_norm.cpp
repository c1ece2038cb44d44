// layer_norm.cpp -- fused LayerNorm over the last dimension, CPU (fp32 / bf16 / fp16), OpenMP over rows,
// vectorised statistics (16 partial sums) and affine in fp32.
//
// Two passes per row (mean, then centred variance) in fp32, like at::native's CPU layer_norm,
// so fp32 results agree with LibTorch to rounding.
#include <cmath>
#include <string>

#include "common.h"
#include "kernel_util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

// Row statistics in fp32, two passes (mean, then centred variance) like at::native's CPU layer_norm; 16 partial
// sums per pass so that the reductions vectorise (AVX-512 / AVX2 clones) without fast-math.
CALICO_SIMD_CLONES
void ln_stats(const float* __restrict x, int64_t n, float eps, float* mean_out, float* rstd_out) {
    float acc[16];
    for (int t = 0; t < 16; t++) acc[t] = 0.f;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int t = 0; t < 16; t++) acc[t] += x[i + t];
    float sum = 0.f;
    for (; i < n; i++) sum += x[i];
    for (int t = 0; t < 16; t++) sum += acc[t];
    const float mean = sum / static_cast<float>(n);
    for (int t = 0; t < 16; t++) acc[t] = 0.f;
    i = 0;
    for (; i + 16 <= n; i += 16)
        for (int t = 0; t < 16; t++) {
            const float d = x[i + t] - mean;
            acc[t] += d * d;
        }
    float sq = 0.f;
    for (; i < n; i++) {
        const float d = x[i] - mean;
        sq += d * d;
    }
    for (int t = 0; t < 16; t++) sq += acc[t];
    *mean_out = mean;
    *rstd_out = 1.f / std::sqrt(sq / static_cast<float>(n) + eps);
}

CALICO_SIMD_CLONES
void ln_apply(const float* __restrict x, float* __restrict y, const float* __restrict w, const float* __restrict b,
              int64_t n, float mean, float rstd) {
    if (b) {
        for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
    } else {
        for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * w[i];
    }
}

void ln_row_f32(const float* x, float* y, const float* w, const float* b, int64_t n, float eps) {
    float mean, rstd;
    ln_stats(x, n, eps, &mean, &rstd);
    ln_apply(x, y, w, b, n, mean, rstd);
}

// Half-precision rows: converted to fp32 scratch [2n] once, statistics and affine in fp32 (weights converted once per
// call), rounded once on store.
void ln_row_half(int dtype, const uint16_t* x, uint16_t* y, const float* w32, const float* b32, int64_t n, float eps,
                 float* scratch) {
    load_f32(dtype, x, n, scratch);
    float mean, rstd;
    ln_stats(scratch, n, eps, &mean, &rstd);
    ln_apply(scratch, scratch + n, w32, b32, n, mean, rstd);
    store_f32(dtype, scratch + n, n, y);
}

}  // namespace

int layer_norm_cpu(int dtype, int64_t x, int64_t y, int64_t w, int64_t b, int64_t rows, int64_t cols,
                   int64_t xs, int64_t ys, float eps) {
    if (dtype == CALICO_F32) {
        const float* X = reinterpret_cast<const float*>(x);
        float* Y = reinterpret_cast<float*>(y);
        const float* W = reinterpret_cast<const float*>(w);
        const float* B = reinterpret_cast<const float*>(b);
#pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (rows * cols > 32768)
        for (int64_t r = 0; r < rows; r++) ln_row_f32(X + r * xs, Y + r * ys, W, B, cols, eps);
        return CALICO_OK;
    }
    if (dtype == CALICO_BF16 || dtype == CALICO_F16) {
        const uint16_t* X = reinterpret_cast<const uint16_t*>(x);
        uint16_t* Y = reinterpret_cast<uint16_t*>(y);
        float* wb = thread_scratch(7, static_cast<size_t>(2 * cols));
        if (!wb) return set_error(CALICO_ERR_ARG, "layer_norm: out of memory for scratch");
        load_f32(dtype, reinterpret_cast<const void*>(w), cols, wb);
        if (b) load_f32(dtype, reinterpret_cast<const void*>(b), cols, wb + cols);
        const float* b32 = b ? wb + cols : nullptr;
        int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (rows * cols > 32768)
        {
            float* scratch = thread_scratch(0, static_cast<size_t>(2 * cols));
            if (!scratch) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(static)
            for (int64_t r = 0; r < rows; r++)
                if (scratch) ln_row_half(dtype, X + r * xs, Y + r * ys, wb, b32, cols, eps, scratch);
        }
        if (failed) return set_error(CALICO_ERR_ARG, "layer_norm: out of memory for per-thread scratch");
        return CALICO_OK;
    }
    return set_error(CALICO_ERR_UNSUPPORTED, "layer_norm: unsupported dtype code " + std::to_string(dtype));
}

#ifdef CALICO_WITH_CUDA
int layer_norm_cuda(int device, int dtype, int64_t x, int64_t y, int64_t w, int64_t b, int64_t rows, int64_t cols,
                    int64_t xs, int64_t ys, float eps, int64_t stream);
#endif

}  // namespace calico

extern "C" int calico_layer_norm(int device, int dtype, int64_t x, int64_t y, int64_t w, int64_t b,
                                 int64_t rows, int64_t cols, int64_t x_stride, int64_t y_stride,
                                 float eps, int64_t stream) {
    calico::clear_error();
    if (x == 0 || y == 0 || w == 0)
        return calico::set_error(CALICO_ERR_ARG, "layer_norm: null x, y or weight address");
    if (rows < 0 || cols <= 0 || x_stride < cols || y_stride < cols)
        return calico::set_error(CALICO_ERR_ARG, "layer_norm: bad shape rows=" + std::to_string(rows) +
                                                     " cols=" + std::to_string(cols) + " strides=" +
                                                     std::to_string(x_stride) + "/" + std::to_string(y_stride));
    if (device == 0) return calico::layer_norm_cpu(dtype, x, y, w, b, rows, cols, x_stride, y_stride, eps);
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::layer_norm_cuda(device, dtype, x, y, w, b, rows, cols, x_stride, y_stride, eps, stream);
#else
    (void)stream;
    if (device >= 1) return calico::set_error(CALICO_ERR_NO_CUDA, "layer_norm: library built without CUDA");
#endif
    return calico::set_error(CALICO_ERR_ARG, "layer_norm: unknown device " + std::to_string(device));
}
