// kernel_util.cpp -- thread count and per-thread scratch of the fused CPU kernels.
#include "kernel_util.h"

#include <algorithm>
#include <cmath>

#include <atomic>
#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

static std::atomic<int> g_threads{0};

int kernel_threads() {
    int n = g_threads.load(std::memory_order_relaxed);
    if (n > 0) return n;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

namespace {
struct Scratch {
    static constexpr int kSlots = 12;
    float* ptr[kSlots] = {};
    size_t cap[kSlots] = {};
    ~Scratch() {
        for (int i = 0; i < kSlots; i++) std::free(ptr[i]);
    }
};
thread_local Scratch t_scratch;
}  // namespace

float* thread_scratch(int slot, size_t n) {
    Scratch& s = t_scratch;
    if (slot < 0 || slot >= Scratch::kSlots) return nullptr;
    if (s.cap[slot] < n) {
        std::free(s.ptr[slot]);
        size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
        s.ptr[slot] = static_cast<float*>(std::aligned_alloc(64, bytes));
        s.cap[slot] = s.ptr[slot] ? n : 0;
    }
    return s.ptr[slot];
}

CALICO_SIMD_CLONES
void cvt_bf16_to_f32(const uint16_t* __restrict src, float* __restrict dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const uint32_t u = static_cast<uint32_t>(src[i]) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        dst[i] = f;
    }
}

CALICO_SIMD_CLONES
void cvt_f32_to_bf16(const float* __restrict src, uint16_t* __restrict dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        std::memcpy(&u, &src[i], 4);
        const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        dst[i] = (u & 0x7fffffffu) > 0x7f800000u ? static_cast<uint16_t>(0x7fc0u) : static_cast<uint16_t>(rounded);
    }
}

bool cpu_avx512() {
#if defined(__x86_64__) && defined(__GNUC__)
    static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl");
    return ok;
#else
    return false;
#endif
}

bool cpu_avx512_bf16() {
#if defined(__x86_64__) && defined(__GNUC__)
    static const bool ok = cpu_avx512() && __builtin_cpu_supports("avx512bf16");
    return ok;
#else
    return false;
#endif
}

// 16 partial maxima / sums so that the loops vectorise without -ffast-math (a plain float reduction would not)
CALICO_SIMD_CLONES
void softmax_row(float* __restrict r, int64_t n, float scale) {
    float m16[16], s16[16];
    for (int l = 0; l < 16; l++) m16[l] = -INFINITY, s16[l] = 0.f;
    const int64_t n16 = n / 16 * 16;
    for (int64_t j = 0; j < n16; j += 16)
        for (int l = 0; l < 16; l++) m16[l] = std::max(m16[l], r[j + l] * scale);
    float mx = -INFINITY;
    for (int l = 0; l < 16; l++) mx = std::max(mx, m16[l]);
    for (int64_t j = n16; j < n; j++) mx = std::max(mx, r[j] * scale);
    for (int64_t j = 0; j < n; j++) r[j] = exp_approx(r[j] * scale - mx);
    for (int64_t j = 0; j < n16; j += 16)
        for (int l = 0; l < 16; l++) s16[l] += r[j + l];
    float sum = 0.f;
    for (int l = 0; l < 16; l++) sum += s16[l];
    for (int64_t j = n16; j < n; j++) sum += r[j];
    const float inv = 1.f / sum;
    for (int64_t j = 0; j < n; j++) r[j] *= inv;
}

void transpose_elems(const void* src, int64_t rows, int64_t cols, int64_t lds, void* dst, int64_t ldd, int64_t es) {
    constexpr int64_t kB = 32;
    const char* S = static_cast<const char*>(src);
    char* D = static_cast<char*>(dst);
#pragma omp parallel for num_threads(kernel_threads()) schedule(static) if (rows * cols > 65536)
    for (int64_t c0 = 0; c0 < cols; c0 += kB)
        for (int64_t r0 = 0; r0 < rows; r0 += kB) {
            const int64_t c1 = std::min(cols, c0 + kB), r1 = std::min(rows, r0 + kB);
            if (es == 4) {
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++)
                        reinterpret_cast<float*>(D)[c * ldd + r] = reinterpret_cast<const float*>(S)[r * lds + c];
            } else {
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++)
                        reinterpret_cast<uint16_t*>(D)[c * ldd + r] = reinterpret_cast<const uint16_t*>(S)[r * lds + c];
            }
        }
}

}  // namespace calico

extern "C" void calico_set_num_threads(int n) { calico::g_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

extern "C" int calico_get_num_threads(void) { return calico::kernel_threads(); }
