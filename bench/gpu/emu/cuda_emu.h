// cuda_emu.h -- a CPU emulation of the small CUDA subset CALICO's kernels use, for checking kernel LOGIC
// (indexing, tiling, shared-memory staging, __syncthreads/__syncwarp placement, warp shuffles, split-K merge)
// on machines without a GPU. It is NOT a performance model and never part of the shipped library.
//
// How it runs a launch: one std::thread per CUDA thread of a block (so barriers and shuffles really synchronise);
// those threads walk all blocks of the grid in order, with a block-wide barrier between blocks. `__shared__` is
// mapped to function-local `static` storage, which is correct because only one block is live at a time.
// "Device memory" is host memory: pass CPU addresses. Built by bench/gpu/emu/build.sh into
// libcalico_cuda_emu.so, whose device code 1 runs these emulated kernels (check.py --emulate).
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <tuple>
#include <vector>

#include "common.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
    unsigned x, y, z;
};

typedef void* cudaStream_t;
typedef int cudaError_t;
enum { cudaSuccess = 0 };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };

inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorName(cudaError_t) { return "cudaSuccess"; }
inline const char* cudaGetErrorString(cudaError_t) { return "no error"; }
inline cudaError_t cudaGetDevice(int* d) {
    *d = 0;
    return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
/** SM count seen by the split-K planner: CALICO_EMU_SMS (default 16) so that small test grids take the split path. */
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) {
    const char* e = std::getenv("CALICO_EMU_SMS");
    *v = e ? std::atoi(e) : 16;
    return cudaSuccess;
}

/** CUDA's vector types used by the kernels (16- and 8-byte aligned, as on the device). */
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(8) float2 {
    float x, y;
};
struct alignas(8) uint2 {
    unsigned x, y;
};

struct __nv_bfloat16 {
    uint16_t v;
};
struct __half {
    uint16_t v;
};
inline float __bfloat162float(__nv_bfloat16 x) { return calico::bf16_to_f32(x.v); }
inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16{calico::f32_to_bf16(f)}; }
inline float __half2float(__half x) { return calico::f16_to_f32(x.v); }
inline __half __float2half(float f) { return __half{calico::f32_to_f16(f)}; }

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
using std::erff;
using std::exp2f;
using std::fmaf;
using std::fmaxf;
template <typename T> inline T min(T a, T b) { return b < a ? b : a; }
template <typename T> inline T max(T a, T b) { return a < b ? b : a; }

namespace calico_emu {

struct BlockState {
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<uint32_t> shfl;    // 32 words per warp
    std::vector<uint32_t> gather;  // 32 x 8 words per warp (warp_gather)
};

inline thread_local uint3 t_idx{0, 0, 0};
inline thread_local uint3 b_idx{0, 0, 0};
inline thread_local unsigned t_linear = 0;
inline dim3 g_block_dim;
inline dim3 g_grid_dim;
inline BlockState* g_state = nullptr;

inline void syncthreads() { g_state->block->arrive_and_wait(); }
inline void syncwarp() { g_state->warps[t_linear / 32]->arrive_and_wait(); }

/** Every lane publishes v; lane l receives the value of lane src(l) (its own when src(l) is outside the warp). */
template <typename V, typename Src>
inline V shfl_from(V v, Src src) {
    static_assert(sizeof(V) == 4, "32-bit shuffles only");
    const unsigned w = t_linear / 32, lane = t_linear % 32;
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    g_state->shfl[w * 32 + lane] = bits;
    g_state->warps[w]->arrive_and_wait();
    const unsigned s = src(lane);
    if (s < 32) bits = g_state->shfl[w * 32 + s];
    g_state->warps[w]->arrive_and_wait();
    V r;
    std::memcpy(&r, &bits, 4);
    return r;
}

template <typename V>
inline V shfl_xor(V v, int off) {
    return shfl_from(v, [off](unsigned lane) { return lane ^ static_cast<unsigned>(off); });
}

template <typename V>
inline V shfl_down(V v, int off) {
    return shfl_from(v, [off](unsigned lane) { return lane + static_cast<unsigned>(off); });
}

template <typename V>
inline V shfl_idx(V v, int src) {
    return shfl_from(v, [src](unsigned) { return static_cast<unsigned>(src) & 31u; });
}

/**
 * Every lane of the warp contributes N <= 8 words and receives all lanes' words: all[lane][i]. Two warp barriers:
 * how the emulation computes warp-wide matrix instructions (mma.sync) from their register fragments.
 */
template <int N>
inline void warp_gather(const uint32_t (&mine)[N], uint32_t (&all)[32][N]) {
    static_assert(N >= 1 && N <= 8, "at most 8 words per lane");
    const unsigned w = t_linear / 32, lane = t_linear % 32;
    uint32_t* buf = g_state->gather.data() + w * 32 * 8;
    for (int i = 0; i < N; i++) buf[lane * 8 + i] = mine[i];
    g_state->warps[w]->arrive_and_wait();
    for (int l = 0; l < 32; l++)
        for (int i = 0; i < N; i++) all[l][i] = buf[l * 8 + i];
    g_state->warps[w]->arrive_and_wait();
}

template <typename... KArgs, typename... Args>
void launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, Args&&... args) {
    std::tuple<KArgs...> targs(static_cast<KArgs>(args)...);
    const unsigned nt = block.x * block.y * block.z;
    BlockState st;
    st.block = std::make_unique<std::barrier<>>(nt);
    for (unsigned w = 0; w * 32 < nt; w++)
        st.warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, nt - w * 32)));
    st.shfl.assign(((nt + 31) / 32) * 32, 0u);
    st.gather.assign(((nt + 31) / 32) * 32 * 8, 0u);
    g_state = &st;
    g_block_dim = block;
    g_grid_dim = grid;
    std::vector<std::thread> threads;
    threads.reserve(nt);
    for (unsigned t = 0; t < nt; t++) {
        threads.emplace_back([&, t] {
            t_linear = t;
            t_idx = uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            for (unsigned bz = 0; bz < grid.z; bz++)
                for (unsigned by = 0; by < grid.y; by++)
                    for (unsigned bx = 0; bx < grid.x; bx++) {
                        b_idx = uint3{bx, by, bz};
                        std::apply(kernel, targs);
                        st.block->arrive_and_wait();  // the block's shared memory is reused by the next block
                    }
        });
    }
    for (auto& th : threads) th.join();
    g_state = nullptr;
}

}  // namespace calico_emu

#define threadIdx (calico_emu::t_idx)
#define blockIdx (calico_emu::b_idx)
#define blockDim (calico_emu::g_block_dim)
#define gridDim (calico_emu::g_grid_dim)
#define __syncthreads() calico_emu::syncthreads()
#define __syncwarp(...) calico_emu::syncwarp()
#define __shfl_xor_sync(mask, v, off) calico_emu::shfl_xor((v), (off))
#define __shfl_down_sync(mask, v, off) calico_emu::shfl_down((v), (off))
#define __shfl_sync(mask, v, src) calico_emu::shfl_idx((v), (src))
#define CALICO_LAUNCH(kernel, grid, block, stream, ...) calico_emu::launch(kernel, grid, block, __VA_ARGS__)
