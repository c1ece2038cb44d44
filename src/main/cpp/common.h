// common.h -- helpers shared by the C++ CPU kernels (not part of the C ABI).
#ifndef CALICO_COMMON_H
#define CALICO_COMMON_H

#include <cstdint>
#include <cstring>
#include <string>

#include "calico_kernels.h"

namespace calico {

/** Records the message returned by calico_last_error() on this thread and returns code. */
int set_error(int code, const std::string& msg);
void clear_error();

/** bf16 <-> fp32, round-to-nearest-even like PyTorch's c10::BFloat16. */
inline float bf16_to_f32(uint16_t h) {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN
    uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>((u + rounding_bias) >> 16);
}
/** IEEE half <-> fp32 (round-to-nearest-even), as c10::Half. */
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

template <typename T> struct Elem;
template <> struct Elem<float> {
    static inline float load(const float* p) { return *p; }
    static inline void store(float* p, float v) { *p = v; }
};

}  // namespace calico

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
// Function multi-versioning: one binary, the best path picked at load time: AVX-512 (x86-64-v4), AVX2+FMA+F16C
// (x86-64-v3), baseline. (Architecture levels, not feature lists: target_clones("avx2,fma") would build two separate
// clones, an AVX2 one without FMA and an FMA one.) Not under ThreadSanitizer: its instrumented IFUNC resolvers run
// before the TSan runtime is initialised and crash the process at load.
#define CALICO_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CALICO_SIMD_CLONES
#endif

#endif  // CALICO_COMMON_H
