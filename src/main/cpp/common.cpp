// common.cpp -- error state, build info and half-precision conversions.
#include "common.h"

#include <cmath>

#include <dlfcn.h>

namespace calico {

static thread_local std::string g_last_error;

int set_error(int code, const std::string& msg) {
    g_last_error = msg;
    return code;
}
void clear_error() { g_last_error.clear(); }

float f16_to_f32(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        if (mant == 0) {
            u = sign;
        } else {  // subnormal
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) { mant <<= 1; exp--; }
            mant &= 0x3ff;
            u = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        u = sign | 0x7f800000u | (mant << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

uint16_t f32_to_f16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t absu = u & 0x7fffffffu;
    if (absu > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
    if (absu >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf (>= 65520)
    if (absu < 0x38800000u) {  // subnormal or zero in half
        if (absu < 0x33000000u) return static_cast<uint16_t>(sign);
        uint32_t e = absu >> 23;
        uint32_t m = (absu & 0x7fffffu) | 0x800000u;
        // exact RNE: value = m * 2^(e-150); half subnormal unit = 2^-24
        int s = static_cast<int>(e) - 150 + 24;  // m * 2^s in units of 2^-24, s negative
        uint32_t q = m >> (-s);
        uint32_t rem = m & ((1u << (-s)) - 1);
        uint32_t halfway = 1u << (-s - 1);
        if (rem > halfway || (rem == halfway && (q & 1))) q++;
        return static_cast<uint16_t>(sign | q);
    }
    uint32_t e = (absu >> 23) - 127 + 15;
    uint32_t m = absu & 0x7fffffu;
    uint32_t q = (e << 10) | (m >> 13);
    uint32_t rem = m & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++;
    return static_cast<uint16_t>(sign | q);
}

}  // namespace calico

extern "C" const char* calico_last_error(void) { return calico::g_last_error.c_str(); }

extern "C" const char* calico_build_info(void) {
    static std::string info = [] {
        std::string s = "calico_kernels";
#if defined(__VERSION__)
        s += " gcc " __VERSION__;
#endif
#if defined(_OPENMP)
        s += ", OpenMP";
#endif
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
        s += ", SIMD clones x86-64-v4/v3/baseline";
#endif
#ifdef CALICO_WITH_CUDA
        s += ", CUDA " CALICO_CUDA_ARCHS;
#else
        s += ", CUDA not compiled";
#endif
        return s;
    }();
    return info.c_str();
}

extern "C" int calico_set_blas_threads(int n) {
    const char* names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.0.dylib", "libopenblas.dylib"};
    for (const char* name : names) {
        void* h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
        if (!h) continue;
        auto fn = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
        if (fn) fn(n);
        dlclose(h);
        if (fn) return 1;
    }
    return 0;
}
