// layer_norm.cpp -- fused LayerNorm over the last dimension, CPU (fp32 / bf16 / fp16), OpenMP over rows.
//
// Two passes per row (mean, then centred variance) in fp32, like at::native's CPU layer_norm,
// so fp32 results agree with LibTorch to rounding.
#include <cmath>
#include <string>

#include "common.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

CALICO_SIMD_CLONES
void ln_row_f32(const float* x, float* y, const float* w, const float* b, int64_t n, float eps) {
    float sum = 0.f;
    for (int64_t i = 0; i < n; i++) sum += x[i];
    const float mean = sum / static_cast<float>(n);
    float sq = 0.f;
    for (int64_t i = 0; i < n; i++) {
        const float d = x[i] - mean;
        sq += d * d;
    }
    const float rstd = 1.f / std::sqrt(sq / static_cast<float>(n) + eps);
    if (b) {
        for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
    } else {
        for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * w[i];
    }
}

template <float (*LOAD)(uint16_t), uint16_t (*STORE)(float)>
void ln_row_half(const uint16_t* x, uint16_t* y, const uint16_t* w, const uint16_t* b, int64_t n,
                 float eps, float* scratch) {
    for (int64_t i = 0; i < n; i++) scratch[i] = LOAD(x[i]);
    float sum = 0.f;
    for (int64_t i = 0; i < n; i++) sum += scratch[i];
    const float mean = sum / static_cast<float>(n);
    float sq = 0.f;
    for (int64_t i = 0; i < n; i++) {
        const float d = scratch[i] - mean;
        sq += d * d;
    }
    const float rstd = 1.f / std::sqrt(sq / static_cast<float>(n) + eps);
    for (int64_t i = 0; i < n; i++) {
        float v = (scratch[i] - mean) * rstd * LOAD(w[i]);
        if (b) v += LOAD(b[i]);
        y[i] = STORE(v);
    }
}

inline float bf16_load(uint16_t h) { return bf16_to_f32(h); }
inline uint16_t bf16_store(float f) { return f32_to_bf16(f); }
inline float f16_load(uint16_t h) { return f16_to_f32(h); }
inline uint16_t f16_store(float f) { return f32_to_f16(f); }

}  // namespace

int layer_norm_cpu(int dtype, int64_t x, int64_t y, int64_t w, int64_t b, int64_t rows, int64_t cols,
                   int64_t xs, int64_t ys, float eps) {
    if (dtype == CALICO_F32) {
        const float* X = reinterpret_cast<const float*>(x);
        float* Y = reinterpret_cast<float*>(y);
        const float* W = reinterpret_cast<const float*>(w);
        const float* B = reinterpret_cast<const float*>(b);
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
        for (int64_t r = 0; r < rows; r++) ln_row_f32(X + r * xs, Y + r * ys, W, B, cols, eps);
        return CALICO_OK;
    }
    if (dtype == CALICO_BF16 || dtype == CALICO_F16) {
        const uint16_t* X = reinterpret_cast<const uint16_t*>(x);
        uint16_t* Y = reinterpret_cast<uint16_t*>(y);
        const uint16_t* W = reinterpret_cast<const uint16_t*>(w);
        const uint16_t* B = reinterpret_cast<const uint16_t*>(b);
#pragma omp parallel if (rows * cols > 32768)
        {
            std::string scratch_holder(static_cast<size_t>(cols) * sizeof(float), '\0');
            float* scratch = reinterpret_cast<float*>(&scratch_holder[0]);
#pragma omp for schedule(static)
            for (int64_t r = 0; r < rows; r++) {
                if (dtype == CALICO_BF16)
                    ln_row_half<bf16_load, bf16_store>(X + r * xs, Y + r * ys, W, B, cols, eps, scratch);
                else
                    ln_row_half<f16_load, f16_store>(X + r * xs, Y + r * ys, W, B, cols, eps, scratch);
            }
        }
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
