// sam_upscale.cu -- SAM output upscaling stages and hypernetwork product, CUDA (see src/main/cpp/sam_upscale.cpp
// for the layout: y [n, 4*c, h, w] from the GEMM with rows (a, b, o); outputs channels first).
//
// One thread per output pixel (n, 2i+a, x = 2j+b); consecutive threads take consecutive x, so every store is
// coalesced and the loads read two neighbouring sub-pixel planes. Per-channel parameters (and the image's
// hypernetwork rows) sit in shared memory. fp32 math, exact erf GELU, two-pass LayerNorm statistics.
#include <string>

#include "cuda_common.cuh"

namespace calico {

namespace {

constexpr int kMaxC = 256;   // channels of an upscaling stage held in shared memory
constexpr int kMaxM = 16;    // mask tokens of the fused hypernetwork product
constexpr int kPix = 128;    // output pixels per block (along x)

__device__ __forceinline__ float gelu_exact(float x) { return 0.5f * x * (1.f + erff(x * 0.70710678118654752f)); }

template <typename T>
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
    float sum = 0.f;
    for (int64_t o = 0; o < C; o++) sum += CudaElem<T>::load(src + o * plane) + sb[o];
    const float mean = sum / static_cast<float>(C);
    float sq = 0.f;
    for (int64_t o = 0; o < C; o++) {
        const float dl = CudaElem<T>::load(src + o * plane) + sb[o] - mean;
        sq += dl * dl;
    }
    const float rstd = rsqrtf(sq / static_cast<float>(C) + eps);
    const int64_t oplane = 4 * plane;  // (2H)(2W)
    T* dst = out + n * C * oplane + yy * 2 * W + x;
    for (int64_t o = 0; o < C; o++) {
        const float v = (CudaElem<T>::load(src + o * plane) + sb[o] - mean) * rstd * sw[o] + sl[o];
        CudaElem<T>::store(dst + o * oplane, gelu_exact(v));
    }
}

// hyper == nullptr: out = upscaled [n, C, 2H, 2W]; else out = masks [n, M, 2H, 2W].
template <typename T>
__global__ void __launch_bounds__(kPix)
sam_stage2_kernel(const T* __restrict__ y, const T* __restrict__ bias, const T* __restrict__ hyper,
                  T* __restrict__ out, int64_t H, int64_t W, int64_t C, int64_t M) {
    __shared__ float sb[kMaxC];
    __shared__ float sh[kMaxM * kMaxC];
    const int64_t n = blockIdx.z;
    for (int64_t o = threadIdx.x; o < C; o += blockDim.x) sb[o] = CudaElem<T>::load(bias + o);
    if (hyper != nullptr)
        for (int64_t e = threadIdx.x; e < M * C; e += blockDim.x) sh[e] = CudaElem<T>::load(hyper + n * M * C + e);
    __syncthreads();
    const int64_t x = static_cast<int64_t>(blockIdx.x) * kPix + threadIdx.x;
    const int64_t yy = blockIdx.y;
    if (x >= 2 * W) return;
    const int64_t i = yy >> 1, j = x >> 1;
    const int s = static_cast<int>(((yy & 1) << 1) | (x & 1));
    const int64_t plane = H * W;
    const int64_t oplane = 4 * plane;
    const T* src = y + (n * 4 * C + s * C) * plane + i * W + j;
    if (hyper == nullptr) {
        T* dst = out + n * C * oplane + yy * 2 * W + x;
        for (int64_t o = 0; o < C; o++)
            CudaElem<T>::store(dst + o * oplane, gelu_exact(CudaElem<T>::load(src + o * plane) + sb[o]));
        return;
    }
    float acc[kMaxM];
#pragma unroll
    for (int m = 0; m < kMaxM; m++) acc[m] = 0.f;
    for (int64_t o = 0; o < C; o++) {
        const float g = gelu_exact(CudaElem<T>::load(src + o * plane) + sb[o]);
#pragma unroll
        for (int m = 0; m < kMaxM; m++)
            if (m < M) acc[m] += sh[m * C + o] * g;
    }
    T* dst = out + n * M * oplane + yy * 2 * W + x;
#pragma unroll
    for (int m = 0; m < kMaxM; m++)
        if (m < M) CudaElem<T>::store(dst + m * oplane, acc[m]);
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
    auto kfn = sam_ln_gelu_kernel<T>;
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
    dim3 grid(static_cast<unsigned>((2 * W + kPix - 1) / kPix), static_cast<unsigned>(2 * H), static_cast<unsigned>(N));
    auto kfn = sam_stage2_kernel<T>;
    CALICO_LAUNCH(kfn, grid, dim3(kPix), st, reinterpret_cast<const T*>(y), reinterpret_cast<const T*>(bias),
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
