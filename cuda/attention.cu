// attention.cu -- fused multi-head attention on already-projected q/k/v (calico_mha), CUDA.
//
// Flash-attention style, fp32 SIMT math on F32 / BF16 / F16 storage (no tensor cores: the head sizes here are
// 16..88 and the attention is a small part of every op; the GEMMs around it run in cuBLAS):
//   block = 128 threads for (batch*head, tile of BQ queries, key split); the Q tile (pre-scaled by scale*log2 e)
//   and K/V tiles of BK keys are staged in shared memory as fp32 (coalesced loads of each head's d contiguous
//   elements straight from the strided projection buffers); each query row is owned by TPR = 128/BQ consecutive
//   lanes, which compute BK/TPR scores each, reduce max/sum with warp shuffles (online softmax in base 2) and keep
//   DP/TPR output columns in registers. No device synchronisation; launch errors are checked.
// Split-K: when batch*heads*query-tiles cannot fill the GPU (SAM token->image: 7 queries over 4096 keys per
// prompt), the key range is split over gridDim.z; partial (o, m, l) go to a caller-provided fp32 workspace and a
// second kernel merges them. Without (enough) workspace the kernel runs unsplit.
#include <cmath>
#include <string>

#include "cuda_common.cuh"

namespace calico {

namespace {

constexpr int kThreads = 128;

template <int DP> struct MhaCfg;
template <> struct MhaCfg<16> { static constexpr int BQ = 64, BK = 64; };
template <> struct MhaCfg<32> { static constexpr int BQ = 64, BK = 64; };
template <> struct MhaCfg<64> { static constexpr int BQ = 32, BK = 32; };
template <> struct MhaCfg<96> { static constexpr int BQ = 32, BK = 32; };
template <> struct MhaCfg<128> { static constexpr int BQ = 16, BK = 32; };

struct MhaParams {
    int64_t B, H, Lq, Lk, d;
    int64_t qbs, qrs, kbs, krs, vbs, vrs, obs, ors;
    float scale_log2;  // scale * log2(e): softmax in base 2
    int nsplit;
    int64_t keys_per_split;  // multiple of BK
};

template <typename T, int DP>
__global__ void __launch_bounds__(kThreads)
mha_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o,
           float* __restrict__ ws_o, float* __restrict__ ws_ml, MhaParams p) {
    constexpr int BQ = MhaCfg<DP>::BQ, BK = MhaCfg<DP>::BK;
    constexpr int TPR = kThreads / BQ;  // lanes per query row (consecutive lanes of one warp)
    constexpr int SPT = BK / TPR;       // scores per thread per tile
    constexpr int OPT = DP / TPR;       // output columns per thread
    __shared__ float sq[BQ][DP + 1];
    __shared__ float sk[BK][DP + 1];
    __shared__ float sv[BK][DP + 1];
    __shared__ float sp[BQ][BK + 1];

    const int64_t bh = blockIdx.x;
    const int64_t b = bh / p.H, h = bh % p.H;
    const int64_t i0 = static_cast<int64_t>(blockIdx.y) * BQ;
    const int split = blockIdx.z;
    const int64_t kbeg = split * p.keys_per_split;
    const int64_t kend = min(p.Lk, kbeg + p.keys_per_split);
    const int tid = threadIdx.x;
    const int row = tid / TPR;
    const int lr = tid % TPR;
    const int d = static_cast<int>(p.d);

    const T* qb = q + b * p.qbs + h * p.d;
    const T* kb = k + b * p.kbs + h * p.d;
    const T* vb = v + b * p.vbs + h * p.d;

    for (int e = tid; e < BQ * DP; e += kThreads) {
        const int r = e / DP, c = e % DP;
        float val = 0.f;
        if (i0 + r < p.Lq && c < d) val = CudaElem<T>::load(qb + (i0 + r) * p.qrs + c) * p.scale_log2;
        sq[r][c] = val;
    }

    float m = -INFINITY, l = 0.f;
    float acc[OPT];
#pragma unroll
    for (int t = 0; t < OPT; t++) acc[t] = 0.f;

    for (int64_t j0 = kbeg; j0 < kend; j0 += BK) {
        __syncthreads();  // Q tile written / previous K, V, P tiles consumed
        for (int e = tid; e < BK * DP; e += kThreads) {
            const int j = e / DP, c = e % DP;
            float kv = 0.f, vv = 0.f;
            if (j0 + j < kend && c < d) {
                kv = CudaElem<T>::load(kb + (j0 + j) * p.krs + c);
                vv = CudaElem<T>::load(vb + (j0 + j) * p.vrs + c);
            }
            sk[j][c] = kv;
            sv[j][c] = vv;
        }
        __syncthreads();

        float s[SPT];
#pragma unroll
        for (int t = 0; t < SPT; t++) s[t] = 0.f;
        for (int c = 0; c < DP; c++) {
            const float qv = sq[row][c];
#pragma unroll
            for (int t = 0; t < SPT; t++) s[t] += qv * sk[lr + TPR * t][c];
        }
        float mx = -INFINITY;
#pragma unroll
        for (int t = 0; t < SPT; t++) {
            if (j0 + lr + TPR * t >= kend) s[t] = -INFINITY;
            mx = fmaxf(mx, s[t]);
        }
#pragma unroll
        for (int off = TPR / 2; off > 0; off >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
        const float m_new = fmaxf(m, mx);  // finite: every tile holds at least one key
        const float alpha = exp2f(m - m_new);
        float ls = 0.f;
#pragma unroll
        for (int t = 0; t < SPT; t++) {
            const float pv = exp2f(s[t] - m_new);
            ls += pv;
            sp[row][lr + TPR * t] = pv;
        }
#pragma unroll
        for (int off = TPR / 2; off > 0; off >>= 1) ls += __shfl_xor_sync(0xffffffffu, ls, off);
        l = l * alpha + ls;
        m = m_new;
#pragma unroll
        for (int t = 0; t < OPT; t++) acc[t] *= alpha;
        __syncwarp();  // the row's probabilities come from the TPR lanes of this warp
        const int jmax = static_cast<int>(min(static_cast<int64_t>(BK), kend - j0));  // block-uniform: no divergence
        for (int j = 0; j < jmax; j++) {
            const float pj = sp[row][j];
#pragma unroll
            for (int t = 0; t < OPT; t++) acc[t] += pj * sv[j][lr + TPR * t];
        }
    }

    const int64_t i = i0 + row;
    if (i >= p.Lq) return;
    if (p.nsplit == 1) {
        // l == 0 only without keys (Lk == 0): zeros, as the composite's matmul over an empty key set
        const float inv = l > 0.f ? 1.f / l : 0.f;
        T* ob = o + b * p.obs + i * p.ors + h * p.d;
#pragma unroll
        for (int t = 0; t < OPT; t++) {
            const int c = lr + TPR * t;
            if (c < d) CudaElem<T>::store(ob + c, acc[t] * inv);
        }
    } else {
        const int64_t slot = (static_cast<int64_t>(split) * p.B * p.H + bh) * p.Lq + i;
#pragma unroll
        for (int t = 0; t < OPT; t++) {
            const int c = lr + TPR * t;
            if (c < d) ws_o[slot * DP + c] = acc[t];
        }
        if (lr == 0) {
            ws_ml[slot * 2] = m;
            ws_ml[slot * 2 + 1] = l;
        }
    }
}

// Merges the nsplit partial results: one thread per output element (b, h, i, c).
template <typename T, int DP>
__global__ void mha_combine_kernel(const float* __restrict__ ws_o, const float* __restrict__ ws_ml,
                                   T* __restrict__ o, MhaParams p) {
    const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int64_t rows = p.B * p.H * p.Lq;
    if (e >= rows * p.d) return;
    const int64_t r = e / p.d;  // (bh, i)
    const int c = static_cast<int>(e % p.d);
    const int64_t bh = r / p.Lq, i = r % p.Lq;
    const int64_t b = bh / p.H, h = bh % p.H;
    float mmax = -INFINITY;
    for (int s = 0; s < p.nsplit; s++) mmax = fmaxf(mmax, ws_ml[(s * rows + r) * 2]);
    float num = 0.f, den = 0.f;
    for (int s = 0; s < p.nsplit; s++) {
        const int64_t slot = s * rows + r;
        const float w = exp2f(ws_ml[slot * 2] - mmax);
        den += w * ws_ml[slot * 2 + 1];
        num += w * ws_o[slot * DP + c];
    }
    CudaElem<T>::store(o + b * p.obs + i * p.ors + h * p.d + c, den > 0.f ? num / den : 0.f);
}

int sm_count() {
    static int cached[64] = {0};
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) {
        cudaGetLastError();
        return 0;
    }
    if (cached[dev] == 0) {
        int n = 0;
        if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) {
            cudaGetLastError();
            return 0;
        }
        cached[dev] = n;
    }
    return cached[dev];
}

int head_pad(int64_t d) {
    if (d <= 16) return 16;
    if (d <= 32) return 32;
    if (d <= 64) return 64;
    if (d <= 96) return 96;
    if (d <= 128) return 128;
    return 0;
}

int cfg_bq(int dp) {
    switch (dp) {
        case 16: return MhaCfg<16>::BQ;
        case 32: return MhaCfg<32>::BQ;
        case 64: return MhaCfg<64>::BQ;
        case 96: return MhaCfg<96>::BQ;
        default: return MhaCfg<128>::BQ;
    }
}

int cfg_bk(int dp) {
    switch (dp) {
        case 16: return MhaCfg<16>::BK;
        case 32: return MhaCfg<32>::BK;
        case 64: return MhaCfg<64>::BK;
        case 96: return MhaCfg<96>::BK;
        default: return MhaCfg<128>::BK;
    }
}

// Number of key splits (1 = none) and keys per split for these sizes on the current device.
void plan_split(int64_t B, int64_t H, int64_t Lq, int64_t Lk, int dp, int* nsplit, int64_t* per_split) {
    const int bq = cfg_bq(dp), bk = cfg_bk(dp);
    const int64_t blocks = B * H * ((Lq + bq - 1) / bq);
    const int sms = sm_count();
    *nsplit = 1;
    *per_split = ((Lk + bk - 1) / bk) * bk;
    if (sms <= 0 || blocks <= 0 || blocks >= sms || Lk <= 4 * bk) return;
    const int64_t tiles = (Lk + bk - 1) / bk;
    int64_t want = (2 * static_cast<int64_t>(sms) + blocks - 1) / blocks;  // about two waves
    int64_t ns = want < tiles / 2 ? want : tiles / 2;                    // at least two tiles per split
    if (ns > 64) ns = 64;
    if (ns <= 1) return;
    const int64_t tiles_per = (tiles + ns - 1) / ns;
    *per_split = tiles_per * bk;
    *nsplit = static_cast<int>((tiles + tiles_per - 1) / tiles_per);
}

int64_t workspace_for(int64_t B, int64_t H, int64_t Lq, int nsplit, int dp) {
    if (nsplit <= 1) return 0;
    return static_cast<int64_t>(nsplit) * B * H * Lq * (dp + 2) * static_cast<int64_t>(sizeof(float));
}

template <typename T, int DP>
int launch_mha(int64_t q, int64_t k, int64_t v, int64_t o, MhaParams p, int64_t ws, int64_t ws_bytes,
               cudaStream_t st) {
    constexpr int BQ = MhaCfg<DP>::BQ;
    int nsplit = 1;
    int64_t per = 0;
    plan_split(p.B, p.H, p.Lq, p.Lk, DP, &nsplit, &per);
    if (nsplit > 1 && (ws == 0 || ws_bytes < workspace_for(p.B, p.H, p.Lq, nsplit, DP))) {
        nsplit = 1;
        per = ((p.Lk + MhaCfg<DP>::BK - 1) / MhaCfg<DP>::BK) * MhaCfg<DP>::BK;
    }
    if (p.Lk == 0) per = 0;
    p.nsplit = nsplit;
    p.keys_per_split = per;
    const int64_t qtiles = (p.Lq + BQ - 1) / BQ;
    if (p.B * p.H > 2147483647LL || qtiles > 65535)
        return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: grid too large (batch*heads=" + std::to_string(p.B * p.H) +
                                                     ", query tiles=" + std::to_string(qtiles) + ")");
    float* ws_o = nsplit > 1 ? reinterpret_cast<float*>(ws) : nullptr;
    float* ws_ml = nsplit > 1 ? ws_o + static_cast<int64_t>(nsplit) * p.B * p.H * p.Lq * DP : nullptr;
    dim3 grid(static_cast<unsigned>(p.B * p.H), static_cast<unsigned>(qtiles), static_cast<unsigned>(nsplit));
    auto kfn = mha_kernel<T, DP>;
    CALICO_LAUNCH(kfn, grid, dim3(kThreads), st, reinterpret_cast<const T*>(q), reinterpret_cast<const T*>(k),
                  reinterpret_cast<const T*>(v), reinterpret_cast<T*>(o), ws_o, ws_ml, p);
    int rc = check_launch("mha_kernel");
    if (rc != CALICO_OK || nsplit == 1) return rc;
    const int64_t total = p.B * p.H * p.Lq * p.d;
    auto cfn = mha_combine_kernel<T, DP>;
    CALICO_LAUNCH(cfn, dim3(static_cast<unsigned>((total + 255) / 256)), dim3(256), st, ws_o, ws_ml,
                  reinterpret_cast<T*>(o), p);
    return check_launch("mha_combine_kernel");
}

template <typename T>
int dispatch_dp(int dp, int64_t q, int64_t k, int64_t v, int64_t o, const MhaParams& p, int64_t ws, int64_t wsb,
                cudaStream_t st) {
    switch (dp) {
        case 16: return launch_mha<T, 16>(q, k, v, o, p, ws, wsb, st);
        case 32: return launch_mha<T, 32>(q, k, v, o, p, ws, wsb, st);
        case 64: return launch_mha<T, 64>(q, k, v, o, p, ws, wsb, st);
        case 96: return launch_mha<T, 96>(q, k, v, o, p, ws, wsb, st);
        default: return launch_mha<T, 128>(q, k, v, o, p, ws, wsb, st);
    }
}

}  // namespace

int64_t mha_cuda_workspace_bytes(int device, int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t d) {
    const int dp = head_pad(d);
    if (dp == 0 || B <= 0 || H <= 0 || Lq <= 0 || Lk <= 0) return 0;
    DeviceGuard guard(device);
    if (!guard.ok()) return 0;
    int nsplit = 1;
    int64_t per = 0;
    plan_split(B, H, Lq, Lk, dp, &nsplit, &per);
    return workspace_for(B, H, Lq, nsplit, dp);
}

int mha_cuda(int device, int dtype, int64_t q, int64_t k, int64_t v, int64_t o, int64_t B, int64_t H, int64_t Lq, int64_t Lk,
             int64_t d, int64_t qbs, int64_t qrs, int64_t kbs, int64_t krs, int64_t vbs, int64_t vrs, int64_t obs,
             int64_t ors, float scale, int64_t workspace, int64_t workspace_bytes, int64_t stream) {
    const int dp = head_pad(d);
    if (dp == 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: head size " + std::to_string(d) + " > 128 not supported");
    CALICO_DEVICE_GUARD(device, "mha_cuda")
    MhaParams p{B, H, Lq, Lk, d, qbs, qrs, kbs, krs, vbs, vrs, obs, ors, scale * 1.4426950408889634f, 1, 0};
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return dispatch_dp<float>(dp, q, k, v, o, p, workspace, workspace_bytes, st);
        case CALICO_BF16: return dispatch_dp<__nv_bfloat16>(dp, q, k, v, o, p, workspace, workspace_bytes, st);
        case CALICO_F16: return dispatch_dp<__half>(dp, q, k, v, o, p, workspace, workspace_bytes, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: unsupported dtype");
    }
}

}  // namespace calico
