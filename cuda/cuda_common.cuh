// cuda_common.cuh -- helpers shared by CALICO's CUDA kernels.
#pragma once

#ifdef CALICO_CUDA_EMU
// CPU emulation of the CUDA subset these kernels use (bench/gpu/emu): checks indexing, tiling and
// synchronisation logic without a GPU. Never part of the shipped library.
#include "cuda_emu.h"
#else
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

#include <cstring>
#include <string>

/** kernel<<<grid, block, 0, stream>>>(args...) -- a macro so that the emulation harness can replace it. */
#ifndef CALICO_LAUNCH
#define CALICO_LAUNCH(kernel, grid, block, stream, ...) kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#endif

#include "common.h"

namespace calico {

template <typename T> struct CudaElem;
template <> struct CudaElem<float> {
    __device__ static inline float load(const float* p) { return *p; }
    __device__ static inline void store(float* p, float v) { *p = v; }
    __device__ static inline float convert(float v) { return v; }
};
template <> struct CudaElem<__nv_bfloat16> {
    __device__ static inline float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
    __device__ static inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16(v); }
    __device__ static inline __nv_bfloat16 convert(float v) { return __float2bfloat16(v); }
};
template <> struct CudaElem<__half> {
    __device__ static inline float load(const __half* p) { return __half2float(*p); }
    __device__ static inline void store(__half* p, float v) { *p = __float2half(v); }
    __device__ static inline __half convert(float v) { return __float2half(v); }
};

/** Four consecutive elements <-> fp32 (16-byte access for f32, 8-byte for the 2-byte types; caller checked alignment). */
template <typename T> struct Vec4;
template <> struct Vec4<float> {
    __device__ static inline void load(const float* p, float* o) {
        const float4 v = *reinterpret_cast<const float4*>(p);
        o[0] = v.x, o[1] = v.y, o[2] = v.z, o[3] = v.w;
    }
    __device__ static inline void store(float* p, const float* v) {
        float4 f;
        f.x = v[0], f.y = v[1], f.z = v[2], f.w = v[3];
        *reinterpret_cast<float4*>(p) = f;
    }
};
template <typename H> struct Vec4Half {
    __device__ static inline void load(const H* p, float* o) {
        const uint2 u = *reinterpret_cast<const uint2*>(p);
        H h[4];
        memcpy(h, &u, sizeof(u));
#pragma unroll
        for (int e = 0; e < 4; e++) o[e] = CudaElem<H>::load(h + e);
    }
    __device__ static inline void store(H* p, const float* v) {
        H h[4];
#pragma unroll
        for (int e = 0; e < 4; e++) h[e] = CudaElem<H>::convert(v[e]);
        uint2 u;
        memcpy(&u, h, sizeof(u));
        *reinterpret_cast<uint2*>(p) = u;
    }
};
template <> struct Vec4<__nv_bfloat16> : Vec4Half<__nv_bfloat16> {};
template <> struct Vec4<__half> : Vec4Half<__half> {};

/** Returns CALICO_OK or records the CUDA error of the last launch. */
inline int check_launch(const char* what) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess)
        return set_error(CALICO_ERR_CUDA, std::string(what) + ": " + cudaGetErrorName(e) + " " + cudaGetErrorString(e));
    return CALICO_OK;
}

/**
 * Makes CUDA device (device_code - 1) current for the scope (C ABI device codes: 0 = CPU, 1 + i = cuda:i) and
 * restores the previous one. ok() is false when the device cannot be selected.
 */
class DeviceGuard {
  public:
    explicit DeviceGuard(int device_code) {
        const int idx = device_code - 1;
        int cur = -1;
        if (cudaGetDevice(&cur) != cudaSuccess) {
            cudaGetLastError();
            ok_ = false;
            return;
        }
        if (cur != idx) {
            if (cudaSetDevice(idx) != cudaSuccess) {
                cudaGetLastError();
                ok_ = false;
                return;
            }
            prev_ = cur;
        }
    }
    ~DeviceGuard() {
        if (prev_ >= 0) cudaSetDevice(prev_);
    }
    bool ok() const { return ok_; }
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

  private:
    int prev_ = -1;
    bool ok_ = true;
};

#define CALICO_DEVICE_GUARD(device_code, what)                                                                  \
    DeviceGuard device_guard_(device_code);                                                                     \
    if (!device_guard_.ok())                                                                                    \
        return set_error(CALICO_ERR_CUDA, std::string(what) + ": cannot select CUDA device " +                 \
                                              std::to_string((device_code) - 1));

__device__ inline float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/** Sum over a block (blockDim.x a multiple of 32, at most 1024); every thread gets the result. */
__device__ inline float block_sum(float v, float* shared32) {
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) shared32[wid] = v;
    __syncthreads();
    const int nw = (blockDim.x + 31) >> 5;
    float t = (threadIdx.x < nw) ? shared32[threadIdx.x] : 0.f;
    if (wid == 0) {
        t = warp_sum(t);
        if (lane == 0) shared32[0] = t;
    }
    __syncthreads();
    return shared32[0];
}

}  // namespace calico
