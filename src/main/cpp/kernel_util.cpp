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
    static constexpr int kSlots = 8;
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

}  // namespace calico

extern "C" void calico_set_num_threads(int n) { calico::g_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

extern "C" int calico_get_num_threads(void) { return calico::kernel_threads(); }
