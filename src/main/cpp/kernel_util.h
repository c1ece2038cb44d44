// kernel_util.h -- helpers shared by the fused CPU kernels (attention, CAM, SAM upscaling); not part of the C ABI.
//
// * element conversion to/from fp32 for F32 / BF16 / F16 rows (round-to-nearest-even, as c10),
// * a vectorisable exp (Cephes polynomial, ~1 ulp) and exact-form GELU (erf via Abramowitz-Stegun 7.1.26, the
//   same formula ATen's vectorised CPU erf uses, |error| < 1.5e-7),
// * per-thread scratch that grows once and is then reused (no heap traffic per call in steady state),
// * the thread count our OpenMP regions use (calico_set_num_threads).
#ifndef CALICO_KERNEL_UTIL_H
#define CALICO_KERNEL_UTIL_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common.h"

namespace calico {

/** Threads our OpenMP regions use (set by calico_set_num_threads; default: the OpenMP default). */
int kernel_threads();

/** Bytes per element of a CALICO dtype code (4 for F32, 2 for BF16/F16), 0 if unknown. */
inline int dtype_size(int dtype) {
    return dtype == CALICO_F32 ? 4 : (dtype == CALICO_BF16 || dtype == CALICO_F16) ? 2 : 0;
}

/** Bulk bf16 <-> fp32 conversions (round-to-nearest-even, NaN kept), vectorised in the SIMD clones. */
void cvt_bf16_to_f32(const uint16_t* src, float* dst, int64_t n);
void cvt_f32_to_bf16(const float* src, uint16_t* dst, int64_t n);

/** Reads n elements of dtype at src into fp32 dst. */
inline void load_f32(int dtype, const void* src, int64_t n, float* dst) {
    if (dtype == CALICO_F32) {
        std::memcpy(dst, src, static_cast<size_t>(n) * 4);
    } else if (dtype == CALICO_BF16) {
        cvt_bf16_to_f32(static_cast<const uint16_t*>(src), dst, n);
    } else {
        const uint16_t* s = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; i++) dst[i] = f16_to_f32(s[i]);
    }
}

/** Writes n fp32 values as dtype at dst (round-to-nearest-even). */
inline void store_f32(int dtype, const float* src, int64_t n, void* dst) {
    if (dtype == CALICO_F32) {
        std::memcpy(dst, src, static_cast<size_t>(n) * 4);
    } else if (dtype == CALICO_BF16) {
        cvt_f32_to_bf16(src, static_cast<uint16_t*>(dst), n);
    } else {
        uint16_t* d = static_cast<uint16_t*>(dst);
        for (int64_t i = 0; i < n; i++) d[i] = f32_to_f16(src[i]);
    }
}

/** One element of dtype at p (index i) as fp32. */
inline float load1(int dtype, const void* p, int64_t i) {
    if (dtype == CALICO_F32) return static_cast<const float*>(p)[i];
    if (dtype == CALICO_BF16) return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
}

/**
 * e^x (Cephes expf polynomial) for x <= 88: |rel error| ~1 ulp; x <= -87.3 gives ~0 (never inf/NaN for finite x,
 * -inf gives a denormal-or-zero). Branch-free, so loops calling it vectorise.
 */
inline float exp_approx(float x) {
    x = x < 88.0f ? x : 88.0f;
    x = x > -87.3365447504f ? x : -87.3365447504f;
    // n = round(x / ln 2) by the 1.5*2^23 trick (no floorf call, so the loop vectorises without SSE4.1/fast-math)
    const float magic = 12582912.0f;
    const float t = x * 1.44269504088896341f + magic;
    uint32_t tb;
    std::memcpy(&tb, &t, 4);
    const float fx = t - magic;
    float r = x - fx * 0.693359375f;
    r = r - fx * -2.12194440e-4f;
    float y = 1.9875691500E-4f;
    y = y * r + 1.3981999507E-3f;
    y = y * r + 8.3334519073E-3f;
    y = y * r + 4.1665795894E-2f;
    y = y * r + 1.6666665459E-1f;
    y = y * r + 5.0000001201E-1f;
    y = y * r * r + r + 1.0f;
    // 2^n: n = tb - bits(magic) lies in [-126, 128]; build the exponent bits directly
    const uint32_t bits = (tb - 0x4b400000u + 127u) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    return y * scale;
}

/** erf(x), Abramowitz-Stegun 7.1.26 with the accurate exp (|error| < 1.5e-7), like ATen's vectorised CPU erf. */
inline float erf_approx(float x) {
    const float ax = std::fabs(x);
    const float t = 1.0f / (0.3275911f * ax + 1.0f);
    float r = 1.061405429f;
    r = r * t - 1.453152027f;
    r = r * t + 1.421413741f;
    r = r * t - 0.284496736f;
    r = r * t + 0.254829592f;
    const float e = 1.0f - r * t * exp_approx(-ax * ax);
    return x < 0.f ? -e : e;
}

/** Exact-form GELU (nn.GELU(), approximate='none'): x/2 (1 + erf(x/sqrt 2)). */
inline float gelu_erf(float x) { return 0.5f * x * (1.0f + erf_approx(x * 0.70710678118654752f)); }

/**
 * Per-thread fp32 scratch: slot k of the calling thread, at least n floats, 64-byte aligned. Grows once and is
 * reused by every later call on that thread (OpenMP workers are persistent), so kernels do no per-call heap churn.
 */
float* thread_scratch(int slot, size_t n);

/** AVX-512 F + BW + VL on this CPU (the 512-bit paths of gemm_rows; checked once). */
bool cpu_avx512();

/** cpu_avx512() and AVX512-BF16 (VDPBF16PS: gemm_rows and the skinny GEMM with BF16 weights; checked once). */
bool cpu_avx512_bf16();

/** Most input rows one {@link skinny_rows} call takes. */
constexpr int kSkinnyMaxRows = 8;

/**
 * The skinny GEMM's row kernel (skinny_gemm.cpp; AVX-512, AVX2+FMA or scalar, picked at load time):
 * acc[m * (n1 - n0) + (n - n0)] = sum_k w[n * K + k] * x[m * K + k] for n in [n0, n1), m < M <= kSkinnyMaxRows;
 * w is f32 / bf16 / f16 (dtype code; converted in registers), x and acc are fp32. xb: optional bf16 copy of x (M rows
 * of K), for BF16 weights on AVX512-BF16 CPUs (VDPBF16PS straight from memory). Single-threaded: callers split n.
 */
void skinny_rows(int dtype, const void* w, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M,
                 const uint16_t* xb = nullptr);

/** True when skinny_rows reads only xb for dtype (BF16 on AVX512-BF16 CPUs): callers may then pass x = nullptr. */
bool skinny_reads_bf16_x(int dtype);

/** r[j] = softmax_j(scale * r[j]) over n values, in place (max-subtracted, exp_approx). */
void softmax_row(float* r, int64_t n, float scale);

/**
 * dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols: elements of es bytes (2 or 4), 32 x 32 blocks,
 * OpenMP over column blocks for large matrices (serial inside a parallel region).
 */
void transpose_elems(const void* src, int64_t rows, int64_t cols, int64_t lds, void* dst, int64_t ldd, int64_t es);

/** True when {@link gemm_rows} has a path for dtype on this CPU (F32: AVX-512F; BF16: AVX512-BF16). */
bool gemm_rows_available(int dtype);

/**
 * Row-mapped matrix product with the epilogue fused (gemm_rows.cpp):
 *   out[orow(m) * ldo + n] = (res ? res[rrow(m) * ldr + n] : 0) + (bias ? bias[n] : 0) + sum_k x[m, k] w[n, k]
 * x[m, k] at x + m * ldx + k, w[n, k] at w + n * ldw + k (rows of the nn.Linear layout, possibly a column slice of a
 * wider matrix); orow(m) = out_rows ? out_rows[m] : m, rrow likewise; bias [N] contiguous; all of dtype; fp32
 * accumulation, one rounding (BF16). res may alias out when the row maps agree. out_f32: out is fp32 whatever the
 * input dtype (no residual then). OpenMP over the output features (serial when called inside a parallel region).
 * Uses thread_scratch slots 8 (caller) and 9 (workers). CALICO_ERR_UNSUPPORTED where gemm_rows_available is false.
 */
int gemm_rows(int dtype, const void* x, int64_t M, int64_t K, int64_t ldx, const void* w, int64_t N, int64_t ldw,
              const void* bias, const void* res, const int64_t* res_rows, int64_t ldr, void* out,
              const int64_t* out_rows, int64_t ldo, bool out_f32 = false);

}  // namespace calico

#endif  // CALICO_KERNEL_UTIL_H
