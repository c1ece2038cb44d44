// kernel_util.cpp -- thread count and per-thread scratch of the fused CPU kernels.
#include "kernel_util.h"

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

CALICO_KERNEL_CLONES
void cvt_bf16_to_f32(const uint16_t* __restrict src, float* __restrict dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const uint32_t u = static_cast<uint32_t>(src[i]) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        dst[i] = f;
    }
}

CALICO_KERNEL_CLONES
void cvt_f32_to_bf16(const float* __restrict src, uint16_t* __restrict dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        std::memcpy(&u, &src[i], 4);
        const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        dst[i] = (u & 0x7fffffffu) > 0x7f800000u ? static_cast<uint16_t>(0x7fc0u) : static_cast<uint16_t>(rounded);
    }
}

}  // namespace calico

extern "C" void calico_set_num_threads(int n) { calico::g_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

extern "C" int calico_get_num_threads(void) { return calico::kernel_threads(); }
