// skinny_gemm.cpp -- y[m, n] = sum_k x[m, k] * w[n, k] for a few rows m (LLM decode steps), CPU.
//
// A decode step multiplies 1..8 token rows by every weight matrix of the layer, so the cost is streaming the weights
// from memory once. LibTorch's CPU build routes such a (1 x K) @ (K x N) product through OpenBLAS sgemm, which is
// far from memory speed at M = 1 (see docs/performance.md); this kernel reads each weight row once, converts
// bf16/f16 to fp32 in registers, and keeps one fp32 accumulator per input row (AVX-512 or AVX2+FMA picked at run
// time, scalar otherwise). OpenMP splits the output features.
#include <string>
#include <vector>

#include "common.h"
#include "kernel_util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CALICO_X86 1
#endif

namespace calico {

namespace {

constexpr int kMaxRows = kSkinnyMaxRows;

inline float load_w(const float* p, int64_t i) { return p[i]; }
inline float load_w(const uint16_t* p, int64_t i, int dtype) {
    return dtype == CALICO_BF16 ? bf16_to_f32(p[i]) : f16_to_f32(p[i]);
}

// scalar reference path (any CPU, any dtype)
void rows_scalar(int dtype, const void* wv, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    for (int64_t n = n0; n < n1; n++) {
        float s[kMaxRows] = {0};
        if (dtype == CALICO_F32) {
            const float* w = static_cast<const float*>(wv) + n * K;
            for (int64_t k = 0; k < K; k++)
                for (int m = 0; m < M; m++) s[m] += w[k] * x[m * K + k];
        } else {
            const uint16_t* w = static_cast<const uint16_t*>(wv) + n * K;
            for (int64_t k = 0; k < K; k++) {
                const float wk = load_w(w, k, dtype);
                for (int m = 0; m < M; m++) s[m] += wk * x[m * K + k];
            }
        }
        for (int m = 0; m < M; m++) acc[m * (n1 - n0) + (n - n0)] = s[m];
    }
}

#ifdef CALICO_X86
__attribute__((target("avx512f")))
inline __m512 load16(int dtype, const void* wv, int64_t off) {
    if (dtype == CALICO_F32) return _mm512_loadu_ps(static_cast<const float*>(wv) + off);
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(wv) + off));
    if (dtype == CALICO_BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    return _mm512_cvtph_ps(h);
}

// four weight rows at a time (more loads in flight), for one or two input rows
__attribute__((target("avx512f")))
int64_t rows4_avx512(int dtype, const void* wv, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    const int64_t K16 = K / 16 * 16;
    int64_t n = n0;
    for (; n + 4 <= n1 && K16 == K; n += 4) {
        __m512 s0[4], s1[4];
        for (int r = 0; r < 4; r++) s0[r] = s1[r] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K; k += 16) {
            const __m512 x0 = _mm512_loadu_ps(x + k);
            const __m512 x1 = M > 1 ? _mm512_loadu_ps(x + K + k) : x0;
            for (int r = 0; r < 4; r++) {
                const __m512 w = load16(dtype, wv, (n + r) * K + k);
                s0[r] = _mm512_fmadd_ps(w, x0, s0[r]);
                if (M > 1) s1[r] = _mm512_fmadd_ps(w, x1, s1[r]);
            }
        }
        for (int r = 0; r < 4; r++) {
            acc[n + r - n0] = _mm512_reduce_add_ps(s0[r]);
            if (M > 1) acc[(n1 - n0) + n + r - n0] = _mm512_reduce_add_ps(s1[r]);
        }
    }
    return n;
}

// two weight rows at a time for three or four input rows (8 independent accumulators: the FMA chains overlap and
// each input vector loaded serves two weight rows)
__attribute__((target("avx512f")))
int64_t rows2x4_avx512(int dtype, const void* wv, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    if (K % 16 != 0) return n0;
    int64_t n = n0;
    for (; n + 2 <= n1; n += 2) {
        __m512 s[2][4];
        for (int r = 0; r < 2; r++)
            for (int m = 0; m < 4; m++) s[r][m] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K; k += 16) {
            const __m512 w0 = load16(dtype, wv, n * K + k), w1 = load16(dtype, wv, (n + 1) * K + k);
            for (int m = 0; m < 4; m++) {
                if (m >= M) break;
                const __m512 xm = _mm512_loadu_ps(x + m * K + k);
                s[0][m] = _mm512_fmadd_ps(w0, xm, s[0][m]);
                s[1][m] = _mm512_fmadd_ps(w1, xm, s[1][m]);
            }
        }
        for (int m = 0; m < M; m++) {
            acc[m * (n1 - n0) + (n - n0)] = _mm512_reduce_add_ps(s[0][m]);
            acc[m * (n1 - n0) + (n + 1 - n0)] = _mm512_reduce_add_ps(s[1][m]);
        }
    }
    return n;
}

__attribute__((target("avx512f")))
void rows_avx512(int dtype, const void* wv, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    const int64_t K16 = K / 16 * 16;
    int64_t start = M <= 2 ? rows4_avx512(dtype, wv, x, acc, n0, n1, K, M)
                  : M <= 4 ? rows2x4_avx512(dtype, wv, x, acc, n0, n1, K, M) : n0;
    for (int64_t n = start; n < n1; n++) {
        __m512 s[kMaxRows];
        for (int m = 0; m < M; m++) s[m] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K16; k += 16) {
            __m512 w;
            if (dtype == CALICO_F32) {
                w = _mm512_loadu_ps(static_cast<const float*>(wv) + n * K + k);
            } else {
                const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(wv) + n * K + k));
                if (dtype == CALICO_BF16) w = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
                else w = _mm512_cvtph_ps(h);
            }
            for (int m = 0; m < M; m++) s[m] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + m * K + k), s[m]);
        }
        for (int m = 0; m < M; m++) {
            float t = _mm512_reduce_add_ps(s[m]);
            for (int64_t k = K16; k < K; k++) {
                const float wk = dtype == CALICO_F32 ? static_cast<const float*>(wv)[n * K + k]
                                                     : load_w(static_cast<const uint16_t*>(wv) + n * K, k, dtype);
                t += wk * x[m * K + k];
            }
            acc[m * (n1 - n0) + (n - n0)] = t;
        }
    }
}

__attribute__((target("avx2,fma,f16c")))
void rows_avx2(int dtype, const void* wv, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    const int64_t K8 = K / 8 * 8;
    for (int64_t n = n0; n < n1; n++) {
        __m256 s[kMaxRows];
        for (int m = 0; m < M; m++) s[m] = _mm256_setzero_ps();
        for (int64_t k = 0; k < K8; k += 8) {
            __m256 w;
            if (dtype == CALICO_F32) {
                w = _mm256_loadu_ps(static_cast<const float*>(wv) + n * K + k);
            } else {
                const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(wv) + n * K + k));
                if (dtype == CALICO_BF16) w = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
                else w = _mm256_cvtph_ps(h);
            }
            for (int m = 0; m < M; m++) s[m] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + m * K + k), s[m]);
        }
        for (int m = 0; m < M; m++) {
            __m128 lo = _mm256_castps256_ps128(s[m]), hi = _mm256_extractf128_ps(s[m], 1);
            lo = _mm_add_ps(lo, hi);
            lo = _mm_hadd_ps(lo, lo);
            lo = _mm_hadd_ps(lo, lo);
            float t = _mm_cvtss_f32(lo);
            for (int64_t k = K8; k < K; k++) {
                const float wk = dtype == CALICO_F32 ? static_cast<const float*>(wv)[n * K + k]
                                                     : load_w(static_cast<const uint16_t*>(wv) + n * K, k, dtype);
                t += wk * x[m * K + k];
            }
            acc[m * (n1 - n0) + (n - n0)] = t;
        }
    }
}
#endif

#ifdef CALICO_X86
// BF16 weights and a BF16 copy of the inputs: VDPBF16PS multiplies 32 bf16 pairs per instruction straight from
// memory (no widening to fp32 first, half the instructions of the FMA path); two weight rows per pass
template <int M>
__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
void rows_dpbf16_m(const uint16_t* w, const uint16_t* xb, float* acc, int64_t n0, int64_t n1, int64_t K) {
    const int64_t K32 = K / 32 * 32;
    const int rem = static_cast<int>(K - K32);
    const __mmask32 tail = rem ? static_cast<__mmask32>((1ull << rem) - 1) : 0;
    int64_t n = n0;
    for (; n < n1; n += 2) {
        const bool two = n + 1 < n1;
        const uint16_t* w0 = w + n * K;
        const uint16_t* w1 = two ? w0 + K : w0;
        __m512 s0[M], s1[M];
#pragma GCC unroll 8
        for (int m = 0; m < M; m++) s0[m] = s1[m] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K32; k += 32) {
            const __m512bh a0 = (__m512bh)_mm512_loadu_si512(w0 + k), a1 = (__m512bh)_mm512_loadu_si512(w1 + k);
#pragma GCC unroll 8
            for (int m = 0; m < M; m++) {
                const __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + m * K + k);
                s0[m] = _mm512_dpbf16_ps(s0[m], a0, xv);
                s1[m] = _mm512_dpbf16_ps(s1[m], a1, xv);
            }
        }
        if (rem) {  // masked loads: the lanes past K contribute 0 * 0
            const __m512bh a0 = (__m512bh)_mm512_maskz_loadu_epi16(tail, w0 + K32);
            const __m512bh a1 = (__m512bh)_mm512_maskz_loadu_epi16(tail, w1 + K32);
#pragma GCC unroll 8
            for (int m = 0; m < M; m++) {
                const __m512bh xv = (__m512bh)_mm512_maskz_loadu_epi16(tail, xb + m * K + K32);
                s0[m] = _mm512_dpbf16_ps(s0[m], a0, xv);
                s1[m] = _mm512_dpbf16_ps(s1[m], a1, xv);
            }
        }
#pragma GCC unroll 8
        for (int m = 0; m < M; m++) {
            acc[m * (n1 - n0) + (n - n0)] = _mm512_reduce_add_ps(s0[m]);
            if (two) acc[m * (n1 - n0) + (n + 1 - n0)] = _mm512_reduce_add_ps(s1[m]);
        }
    }
}

void rows_dpbf16(const uint16_t* w, const uint16_t* xb, float* acc, int64_t n0, int64_t n1, int64_t K, int M) {
    switch (M) {
        case 1: return rows_dpbf16_m<1>(w, xb, acc, n0, n1, K);
        case 2: return rows_dpbf16_m<2>(w, xb, acc, n0, n1, K);
        case 3: return rows_dpbf16_m<3>(w, xb, acc, n0, n1, K);
        case 4: return rows_dpbf16_m<4>(w, xb, acc, n0, n1, K);
        case 5: return rows_dpbf16_m<5>(w, xb, acc, n0, n1, K);
        case 6: return rows_dpbf16_m<6>(w, xb, acc, n0, n1, K);
        case 7: return rows_dpbf16_m<7>(w, xb, acc, n0, n1, K);
        default: return rows_dpbf16_m<8>(w, xb, acc, n0, n1, K);
    }
}
#endif

using RowsFn = void (*)(int, const void*, const float*, float*, int64_t, int64_t, int64_t, int);

RowsFn pick() {
#ifdef CALICO_X86
    if (__builtin_cpu_supports("avx512f")) return rows_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return rows_avx2;
#endif
    return rows_scalar;
}

const RowsFn kRows = pick();

inline float to_f32(int dtype, const void* p, int64_t i) {
    if (dtype == CALICO_F32) return static_cast<const float*>(p)[i];
    return load_w(static_cast<const uint16_t*>(p), i, dtype);
}

inline void store(int dtype, void* p, int64_t i, float v) {
    if (dtype == CALICO_F32) static_cast<float*>(p)[i] = v;
    else if (dtype == CALICO_BF16) static_cast<uint16_t*>(p)[i] = f32_to_bf16(v);
    else static_cast<uint16_t*>(p)[i] = f32_to_f16(v);
}

}  // namespace

bool skinny_reads_bf16_x(int dtype) {
#ifdef CALICO_X86
    return dtype == CALICO_BF16 && cpu_avx512_bf16();
#else
    (void)dtype;
    return false;
#endif
}

void skinny_rows(int dtype, const void* w, const float* x, float* acc, int64_t n0, int64_t n1, int64_t K, int M,
                 const uint16_t* xb) {
#ifdef CALICO_X86
    if (xb && skinny_reads_bf16_x(dtype) && M >= 1 && M <= kMaxRows) {
        rows_dpbf16(static_cast<const uint16_t*>(w), xb, acc, n0, n1, K, M);
        return;
    }
#endif
    kRows(dtype, w, x, acc, n0, n1, K, M);
}

const char* skinny_gemm_path() {
#ifdef CALICO_X86
    if (kRows == rows_avx512) return cpu_avx512_bf16() ? "avx512f (bf16: avx512-bf16)" : "avx512f";
    if (kRows == rows_avx2) return "avx2+fma";
#endif
    return "scalar";
}

int skinny_gemm_cpu(int dtype, int64_t x, int64_t w, int64_t y, int64_t M, int64_t N, int64_t K) {
    if (dtype != CALICO_F32 && dtype != CALICO_BF16 && dtype != CALICO_F16)
        return set_error(CALICO_ERR_UNSUPPORTED, "skinny_gemm: unsupported dtype code " + std::to_string(dtype));
    const void* X = reinterpret_cast<const void*>(x);
    const void* W = reinterpret_cast<const void*>(w);
    void* Y = reinterpret_cast<void*>(y);
    const bool direct = skinny_reads_bf16_x(dtype);  // VDPBF16PS reads the bf16 rows as they are
    std::vector<float> xf(direct ? 0 : static_cast<size_t>(M * K));
    for (int64_t i = 0; i < static_cast<int64_t>(xf.size()); i++) xf[i] = to_f32(dtype, X, i);
    constexpr int64_t kBlock = 64;  // output features per task
    const int64_t blocks = (N + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(dynamic, 1) if (N * K > 65536)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t n0 = b * kBlock, n1 = n0 + kBlock < N ? n0 + kBlock : N;
        float acc[kMaxRows * kBlock];
        skinny_rows(dtype, W, direct ? nullptr : xf.data(), acc, n0, n1, K, static_cast<int>(M),
                    direct ? static_cast<const uint16_t*>(X) : nullptr);
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = n0; n < n1; n++) store(dtype, Y, m * N + n, acc[m * (n1 - n0) + (n - n0)]);
    }
    return CALICO_OK;
}

#ifdef CALICO_WITH_CUDA
int skinny_gemm_cuda_device(int device, int dtype, int64_t x, int64_t w, int64_t y, int64_t M, int64_t N, int64_t K, int64_t stream);
#endif

}  // namespace calico

extern "C" int calico_skinny_gemm(int device, int dtype, int64_t x, int64_t w, int64_t y, int64_t m, int64_t n,
                                  int64_t k, int64_t stream) {
    calico::clear_error();
    if (x == 0 || w == 0 || y == 0) return calico::set_error(CALICO_ERR_ARG, "skinny_gemm: null x, w or y address");
    if (m < 1 || m > 8 || n < 1 || k < 1)
        return calico::set_error(CALICO_ERR_ARG, "skinny_gemm: bad sizes m=" + std::to_string(m) + " (1..8) n=" +
                                                     std::to_string(n) + " k=" + std::to_string(k));
    if (device == 0) return calico::skinny_gemm_cpu(dtype, x, w, y, m, n, k);
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::skinny_gemm_cuda_device(device, dtype, x, w, y, m, n, k, stream);
#else
    (void)stream;
    if (device >= 1) return calico::set_error(CALICO_ERR_NO_CUDA, "skinny_gemm: library built without CUDA");
#endif
    return calico::set_error(CALICO_ERR_ARG, "skinny_gemm: unknown device " + std::to_string(device));
}

extern "C" const char* calico_skinny_gemm_path(void) { return calico::skinny_gemm_path(); }
