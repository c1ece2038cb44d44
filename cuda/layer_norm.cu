// layer_norm.cu -- fused LayerNorm over the last dimension, fp32 statistics (two passes: mean, then the centred
// variance). Rows up to 1536 wide with cols % 4 == 0 and aligned rows: one warp per row holding the row in registers
// (one read of x, vector loads); other rows up to 8192 wide: one warp per row with scalar loads (8 rows per 256-thread
// block, shuffles only, no block barriers; the row stays in L1 between the passes); wider rows: one block per row.
#include "cuda_common.cuh"

namespace calico {

template <typename T>
__global__ void layer_norm_kernel(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ w,
                                  const T* __restrict__ b, int64_t cols, int64_t xs, int64_t ys, float eps) {
    __shared__ float red[32];
    const int64_t r = blockIdx.x;
    const T* xr = x + r * xs;
    T* yr = y + r * ys;
    float s = 0.f;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) s += CudaElem<T>::load(xr + i);
    const float mean = block_sum(s, red) / static_cast<float>(cols);
    float q = 0.f;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
        const float d = CudaElem<T>::load(xr + i) - mean;
        q += d * d;
    }
    const float rstd = rsqrtf(block_sum(q, red) / static_cast<float>(cols) + eps);
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
        float v = (CudaElem<T>::load(xr + i) - mean) * rstd * CudaElem<T>::load(w + i);
        if (b) v += CudaElem<T>::load(b + i);
        CudaElem<T>::store(yr + i, v);
    }
}

template <typename T>
__global__ void layer_norm_warp_kernel(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ w,
                                       const T* __restrict__ b, int64_t rows, int64_t cols, int64_t xs, int64_t ys,
                                       float eps) {
    const int lane = threadIdx.x & 31;
    const int64_t r = static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;  // whole warps only
    const T* xr = x + r * xs;
    T* yr = y + r * ys;
    float s = 0.f;
    for (int64_t i = lane; i < cols; i += 32) s += CudaElem<T>::load(xr + i);
    const float mean = warp_sum(s) / static_cast<float>(cols);
    float q = 0.f;
    for (int64_t i = lane; i < cols; i += 32) {
        const float d = CudaElem<T>::load(xr + i) - mean;
        q += d * d;
    }
    const float rstd = rsqrtf(warp_sum(q) / static_cast<float>(cols) + eps);
    for (int64_t i = lane; i < cols; i += 32) {
        float v = (CudaElem<T>::load(xr + i) - mean) * rstd * CudaElem<T>::load(w + i);
        if (b) v += CudaElem<T>::load(b + i);
        CudaElem<T>::store(yr + i, v);
    }
}

/**
 * The warp-per-row kernel with the row held in registers: rows of at most 4 * 32 * MAXV columns, cols % 4 == 0 and
 * 4-element-aligned rows, read from global memory once (4-element vector loads: 16 B f32, 8 B bf16/f16) instead of
 * three times with scalar loads. Same two-pass fp32 statistics as layer_norm_warp_kernel.
 */
template <typename T, int MAXV>
__global__ void layer_norm_warp_regs_kernel(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ w,
                                            const T* __restrict__ b, int64_t rows, int64_t cols, int64_t xs,
                                            int64_t ys, float eps) {
    const int lane = threadIdx.x & 31;
    const int64_t r = static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;  // whole warps only
    const T* xr = x + r * xs;
    T* yr = y + r * ys;
    const int64_t nv = cols >> 2;
    float v[MAXV][4];
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < MAXV; i++) {
        const int64_t c4 = static_cast<int64_t>(i) * 32 + lane;
        v[i][0] = v[i][1] = v[i][2] = v[i][3] = 0.f;
        if (c4 < nv) {
            Vec4<T>::load(xr + 4 * c4, v[i]);
            s += (v[i][0] + v[i][1]) + (v[i][2] + v[i][3]);
        }
    }
    const float mean = warp_sum(s) / static_cast<float>(cols);
    float q = 0.f;
#pragma unroll
    for (int i = 0; i < MAXV; i++)
        if (static_cast<int64_t>(i) * 32 + lane < nv)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float d = v[i][e] - mean;
                q += d * d;
            }
    const float rstd = rsqrtf(warp_sum(q) / static_cast<float>(cols) + eps);
#pragma unroll
    for (int i = 0; i < MAXV; i++) {
        const int64_t c4 = static_cast<int64_t>(i) * 32 + lane;
        if (c4 < nv) {
            float g[4], o[4], bb[4] = {0.f, 0.f, 0.f, 0.f};
            Vec4<T>::load(w + 4 * c4, g);
            if (b) Vec4<T>::load(b + 4 * c4, bb);
#pragma unroll
            for (int e = 0; e < 4; e++) o[e] = (v[i][e] - mean) * rstd * g[e] + bb[e];
            Vec4<T>::store(yr + 4 * c4, o);
        }
    }
}

constexpr int64_t kWarpRowMax = 8192;
constexpr int kRegsMaxVec = 12;  // row in registers up to 4 * 32 * 12 = 1536 columns (CALICO's 768, 1024, 1408)

template <typename T>
static int launch(int64_t x, int64_t y, int64_t w, int64_t b, int64_t rows, int64_t cols, int64_t xs,
                  int64_t ys, float eps, int64_t stream) {
    if (rows == 0) return CALICO_OK;
    if (cols <= kWarpRowMax) {
        constexpr int kRowsPerBlock = 8;
        const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
        if (blocks > 2147483647LL) return set_error(CALICO_ERR_UNSUPPORTED, "layer_norm_cuda: too many rows");
        const int64_t va = 4 * static_cast<int64_t>(sizeof(T));  // a 4-element vector's alignment
        if (cols % 4 == 0 && cols <= 4 * 32 * kRegsMaxVec && xs % 4 == 0 && ys % 4 == 0 && x % va == 0 &&
            y % va == 0 && w % va == 0 && b % va == 0) {
            auto kfn = layer_norm_warp_regs_kernel<T, kRegsMaxVec>;
            CALICO_LAUNCH(kfn, dim3(static_cast<unsigned>(blocks)), dim3(32 * kRowsPerBlock),
                          reinterpret_cast<cudaStream_t>(stream),
                          reinterpret_cast<const T*>(x), reinterpret_cast<T*>(y), reinterpret_cast<const T*>(w),
                          reinterpret_cast<const T*>(b), rows, cols, xs, ys, eps);
            return check_launch("layer_norm_warp_regs_kernel");
        }
        CALICO_LAUNCH(layer_norm_warp_kernel<T>, dim3(static_cast<unsigned>(blocks)), dim3(32 * kRowsPerBlock),
                      reinterpret_cast<cudaStream_t>(stream), reinterpret_cast<const T*>(x), reinterpret_cast<T*>(y),
                      reinterpret_cast<const T*>(w), reinterpret_cast<const T*>(b), rows, cols, xs, ys, eps);
        return check_launch("layer_norm_warp_kernel");
    }
    int threads = cols >= 1024 ? 1024 : (cols >= 256 ? 256 : 128);
    CALICO_LAUNCH(layer_norm_kernel<T>, dim3(static_cast<unsigned>(rows)), dim3(threads),
                  reinterpret_cast<cudaStream_t>(stream), reinterpret_cast<const T*>(x), reinterpret_cast<T*>(y),
                  reinterpret_cast<const T*>(w), reinterpret_cast<const T*>(b), cols, xs, ys, eps);
    return check_launch("layer_norm_kernel");
}

int layer_norm_cuda(int device, int dtype, int64_t x, int64_t y, int64_t w, int64_t b, int64_t rows, int64_t cols,
                    int64_t xs, int64_t ys, float eps, int64_t stream) {
    CALICO_DEVICE_GUARD(device, "layer_norm_cuda")
    switch (dtype) {
        case CALICO_F32: return launch<float>(x, y, w, b, rows, cols, xs, ys, eps, stream);
        case CALICO_BF16: return launch<__nv_bfloat16>(x, y, w, b, rows, cols, xs, ys, eps, stream);
        case CALICO_F16: return launch<__half>(x, y, w, b, rows, cols, xs, ys, eps, stream);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "layer_norm_cuda: unsupported dtype");
    }
}

}  // namespace calico
