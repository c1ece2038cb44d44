// sam_upscale.cu -- SAM output upscaling stages and hypernetwork product, CUDA (see src/main/cpp/sam_upscale.cpp
// for the layout: y [n, 4*c, h, w] from the GEMM with rows (a, b, o); outputs channels first).
//
// Stage 1 (pixel shuffle + bias + LayerNorm2d + GELU): one thread per output pixel (n, 2i+a, x = 2j+b); consecutive
// threads take consecutive x, so every store is coalesced and the loads read two neighbouring sub-pixel planes. Up
// to 64 channels (SAM: 64) the pixel's values are loaded once into registers and the two-pass statistics run there;
// wider layers re-read them (three passes).
// Stage 2 (pixel shuffle + bias + GELU [+ hypernetwork product]): one thread per PAIR of output pixels (2j, 2j+1) of
// a row, i.e. the two sub-pixel planes b = 0, 1 at the same input pixel: half the threads, every load instruction
// reads two planes' consecutive pixels, and every store writes both pixels at once (8 bytes f32, 4 bytes bf16/f16).
// Per-channel parameters (and the image's hypernetwork rows) sit in shared memory. fp32 math, exact erf GELU.
#include <cstring>
#include <string>

#include "cuda_common.cuh"

namespace calico {

namespace {

constexpr int kMaxC = 256;   // channels of an upscaling stage held in shared memory
constexpr int kMaxM = 16;    // mask tokens of the fused hypernetwork product
constexpr int kPix = 128;    // stage 1: output pixels per block (along x)
constexpr int kPairs = 64;   // stage 2: pixel pairs per block row (blockDim.x); blockDim.y = 2 rows
constexpr int kRegC = 64;    // stage 1: channels cached in registers

__device__ __forceinline__ float gelu_exact(float x) { return 0.5f * x * (1.f + erff(x * 0.70710678118654752f)); }

/** Stores two adjacent elements (p even-aligned: 8 bytes f32, 4 bytes for the 2-byte types). */
template <typename T> struct Pair;
template <> struct Pair<float> {
    __device__ static inline void store(float* p, float a, float b) {
        float2 v;
        v.x = a, v.y = b;
        *reinterpret_cast<float2*>(p) = v;
    }
};
template <typename H> struct PairHalf {
    __device__ static inline void store(H* p, float a, float b) {
        H h[2];
        CudaElem<H>::store(h, a);
        CudaElem<H>::store(h + 1, b);
        unsigned u;
        memcpy(&u, h, sizeof(u));
        *reinterpret_cast<unsigned*>(p) = u;
    }
};
template <> struct Pair<__nv_bfloat16> : PairHalf<__nv_bfloat16> {};
template <> struct Pair<__half> : PairHalf<__half> {};

template <typename T, bool CACHE>
__global__ void __launch_bounds__(kPix)
sam_ln_gelu_kernel(const T* __restrict__ y, const T* __restrict__ bias, const T* __restrict__ lw,
                   const T* __restrict__ lb, T* __restrict__ out, int64_t H, int64_t W, int64_t C, float eps) {
    __shared__ float sb[kMaxC], sw[kMaxC], sl[kMaxC];
    for (int64_t o = threadIdx.x; o < C; o += blockDim.x) {
        sb[o] = CudaElem<T>::load(bias + o);
        sw[o] = CudaElem<T>::load(lw + o);
        sl[o] = CudaElem<T>::load(lb + o);
    }
    __syncthreads();
    const int64_t x = static_cast<int64_t>(blockIdx.x) * kPix + threadIdx.x;
    const int64_t yy = blockIdx.y;
    const int64_t n = blockIdx.z;
    if (x >= 2 * W) return;
    const int64_t i = yy >> 1, j = x >> 1;
    const int s = static_cast<int>(((yy & 1) << 1) | (x & 1));
    const int64_t plane = H * W;
    const T* src = y + (n * 4 * C + s * C) * plane + i * W + j;
    const int64_t oplane = 4 * plane;  // (2H)(2W)
    T* dst = out + n * C * oplane + yy * 2 * W + x;
    const float inv_c = 1.f / static_cast<float>(C);
    if constexpr (CACHE) {
        float v[kRegC];
        float sum = 0.f;
#pragma unroll
        for (int o = 0; o < kRegC; o++) {
            v[o] = o < C ? CudaElem<T>::load(src + o * plane) + sb[o] : 0.f;
            sum += v[o];
        }
        const float mean = sum * inv_c;
        float sq = 0.f;
#pragma unroll
        for (int o = 0; o < kRegC; o++) {
            const float dl = o < C ? v[o] - mean : 0.f;
            sq += dl * dl;
        }
        const float rstd = rsqrtf(sq * inv_c + eps);
#pragma unroll
        for (int o = 0; o < kRegC; o++)
            if (o < C) CudaElem<T>::store(dst + o * oplane, gelu_exact((v[o] - mean) * rstd * sw[o] + sl[o]));
    } else {
        float sum = 0.f;
        for (int64_t o = 0; o < C; o++) sum += CudaElem<T>::load(src + o * plane) + sb[o];
        const float mean = sum * inv_c;
        float sq = 0.f;
        for (int64_t o = 0; o < C; o++) {
            const float dl = CudaElem<T>::load(src + o * plane) + sb[o] - mean;
            sq += dl * dl;
        }
        const float rstd = rsqrtf(sq * inv_c + eps);
        for (int64_t o = 0; o < C; o++) {
            const float val = (CudaElem<T>::load(src + o * plane) + sb[o] - mean) * rstd * sw[o] + sl[o];
            CudaElem<T>::store(dst + o * oplane, gelu_exact(val));
        }
    }
}

// hyper == nullptr: out = upscaled [n, C, 2H, 2W]; else out = masks [n, M, 2H, 2W]. Thread (jx, row): output pixels
// (row, 2jx) and (row, 2jx + 1), i.e. sub-pixel planes (a, 0) and (a, 1) at input pixel (row / 2, jx).
template <typename T>
__global__ void __launch_bounds__(2 * kPairs)
sam_stage2_kernel(const T* __restrict__ y, const T* __restrict__ bias, const T* __restrict__ hyper,
                  T* __restrict__ out, int64_t H, int64_t W, int64_t C, int64_t M) {
    __shared__ float sb[kMaxC];
    __shared__ float sh[kMaxM * kMaxC];
    const int64_t n = blockIdx.z;
    const int tid = threadIdx.y * blockDim.x + threadIdx.x;
    const int nt = blockDim.x * blockDim.y;
    for (int64_t o = tid; o < C; o += nt) sb[o] = CudaElem<T>::load(bias + o);
    if (hyper != nullptr)
        for (int64_t e = tid; e < M * C; e += nt) sh[e] = CudaElem<T>::load(hyper + n * M * C + e);
    __syncthreads();
    const int64_t j = static_cast<int64_t>(blockIdx.x) * kPairs + threadIdx.x;
    const int64_t yy = static_cast<int64_t>(blockIdx.y) * 2 + threadIdx.y;
    if (j >= W || yy >= 2 * H) return;
    const int64_t i = yy >> 1;
    const int s0 = static_cast<int>((yy & 1) << 1);  // sub-pixel (a, 0); (a, 1) is the next plane group
    const int64_t plane = H * W;
    const int64_t oplane = 4 * plane;
    const T* src0 = y + (n * 4 * C + s0 * C) * plane + i * W + j;
    const T* src1 = src0 + C * plane;
    if (hyper == nullptr) {
        T* dst = out + n * C * oplane + yy * 2 * W + 2 * j;
        for (int64_t o = 0; o < C; o++)
            Pair<T>::store(dst + o * oplane, gelu_exact(CudaElem<T>::load(src0 + o * plane) + sb[o]),
                           gelu_exact(CudaElem<T>::load(src1 + o * plane) + sb[o]));
        return;
    }
    float acc0[kMaxM], acc1[kMaxM];
#pragma unroll
    for (int m = 0; m < kMaxM; m++) acc0[m] = acc1[m] = 0.f;
    for (int64_t o = 0; o < C; o++) {
        const float g0 = gelu_exact(CudaElem<T>::load(src0 + o * plane) + sb[o]);
        const float g1 = gelu_exact(CudaElem<T>::load(src1 + o * plane) + sb[o]);
#pragma unroll
        for (int m = 0; m < kMaxM; m++)
            if (m < M) {
                const float hm = sh[m * C + o];
                acc0[m] = fmaf(hm, g0, acc0[m]);
                acc1[m] = fmaf(hm, g1, acc1[m]);
            }
    }
    T* dst = out + n * M * oplane + yy * 2 * W + 2 * j;
#pragma unroll
    for (int m = 0; m < kMaxM; m++)
        if (m < M) Pair<T>::store(dst + m * oplane, acc0[m], acc1[m]);
}

int grid_check(const char* op, int64_t N, int64_t H, int64_t W, int64_t C, int64_t M) {
    if (C > kMaxC)
        return set_error(CALICO_ERR_UNSUPPORTED, std::string(op) + ": " + std::to_string(C) + " channels > " +
                                                     std::to_string(kMaxC) + " not supported on CUDA");
    if (M > kMaxM)
        return set_error(CALICO_ERR_UNSUPPORTED, std::string(op) + ": " + std::to_string(M) + " mask tokens > " +
                                                     std::to_string(kMaxM) + " not supported on CUDA");
    if (M * C > kMaxM * kMaxC)
        return set_error(CALICO_ERR_UNSUPPORTED, std::string(op) + ": mask tokens x channels too large");
    if (N > 65535 || 2 * H > 65535)
        return set_error(CALICO_ERR_UNSUPPORTED, std::string(op) + ": grid too large (n=" + std::to_string(N) +
                                                     ", rows=" + std::to_string(2 * H) + ")");
    return CALICO_OK;
}

template <typename T>
int launch_ln_gelu(int64_t y, int64_t bias, int64_t lnw, int64_t lnb, int64_t out, int64_t N, int64_t H, int64_t W,
                   int64_t C, float eps, cudaStream_t st) {
    int rc = grid_check("sam_upscale_ln_gelu_cuda", N, H, W, C, 0);
    if (rc != CALICO_OK) return rc;
    dim3 grid(static_cast<unsigned>((2 * W + kPix - 1) / kPix), static_cast<unsigned>(2 * H), static_cast<unsigned>(N));
    auto kfn = C <= kRegC ? sam_ln_gelu_kernel<T, true> : sam_ln_gelu_kernel<T, false>;
    CALICO_LAUNCH(kfn, grid, dim3(kPix), st, reinterpret_cast<const T*>(y), reinterpret_cast<const T*>(bias),
                  reinterpret_cast<const T*>(lnw), reinterpret_cast<const T*>(lnb), reinterpret_cast<T*>(out), H, W, C,
                  eps);
    return check_launch("sam_ln_gelu_kernel");
}

template <typename T>
int launch_stage2(int64_t y, int64_t bias, int64_t hyper, int64_t out, int64_t N, int64_t H, int64_t W, int64_t C,
                  int64_t M, cudaStream_t st) {
    int rc = grid_check(hyper ? "sam_hyper_masks_cuda" : "sam_upscale_gelu_cuda", N, H, W, C, hyper ? M : 0);
    if (rc != CALICO_OK) return rc;
    dim3 grid(static_cast<unsigned>((W + kPairs - 1) / kPairs), static_cast<unsigned>(H), static_cast<unsigned>(N));
    auto kfn = sam_stage2_kernel<T>;
    CALICO_LAUNCH(kfn, grid, dim3(kPairs, 2), st, reinterpret_cast<const T*>(y), reinterpret_cast<const T*>(bias),
                  reinterpret_cast<const T*>(hyper), reinterpret_cast<T*>(out), H, W, C, M);
    return check_launch("sam_stage2_kernel");
}

}  // namespace

int sam_upscale_ln_gelu_cuda(int device, int dtype, int64_t y, int64_t bias, int64_t lnw, int64_t lnb, int64_t out, int64_t N,
                             int64_t H, int64_t W, int64_t C, float eps, int64_t stream) {
    CALICO_DEVICE_GUARD(device, "sam_upscale_ln_gelu_cuda")
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return launch_ln_gelu<float>(y, bias, lnw, lnb, out, N, H, W, C, eps, st);
        case CALICO_BF16: return launch_ln_gelu<__nv_bfloat16>(y, bias, lnw, lnb, out, N, H, W, C, eps, st);
        case CALICO_F16: return launch_ln_gelu<__half>(y, bias, lnw, lnb, out, N, H, W, C, eps, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "sam_upscale_ln_gelu_cuda: unsupported dtype");
    }
}

int sam_stage2_cuda(int device, int dtype, int64_t y, int64_t bias, int64_t hyper, int64_t out, int64_t N, int64_t H, int64_t W,
                    int64_t C, int64_t M, int64_t stream) {
    CALICO_DEVICE_GUARD(device, "sam_stage2_cuda")
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return launch_stage2<float>(y, bias, hyper, out, N, H, W, C, M, st);
        case CALICO_BF16: return launch_stage2<__nv_bfloat16>(y, bias, hyper, out, N, H, W, C, M, st);
        case CALICO_F16: return launch_stage2<__half>(y, bias, hyper, out, N, H, W, C, M, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "sam_stage2_cuda: unsupported dtype");
    }
}

}  // namespace calico
