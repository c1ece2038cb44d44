// attention.cu -- fused multi-head attention on already-projected q/k/v (calico_mha), CUDA.
//
// Flash-attention style, fp32 SIMT math on F32 / BF16 / F16 storage (no tensor cores: the head sizes here are
// 16..88 and the attention is a small part of every op; the GEMMs around it run in cuBLAS):
//   block = 128 threads for (batch*head, tile of BQ queries, key split); the Q tile (pre-scaled by scale*log2 e)
//   and K/V tiles of BK keys are staged in shared memory as fp32 with 16-byte aligned rows (DP + 4 floats), loaded
//   from the strided projection buffers with 16-byte (f32) / 8-byte (bf16, f16) vector loads where the addresses
//   allow; each query row is owned by TPR = 128/BQ consecutive lanes, which compute BK/TPR scores each (float4
//   shared-memory reads along the head dimension), reduce max/sum with warp shuffles (online softmax in base 2) and
//   keep DP/TPR output columns in registers (float4 reads of P and V where DP/TPR is a multiple of 4). The output
//   tile goes back through shared memory for coalesced stores. No device synchronisation; launch errors are checked.
// Tile shapes by problem shape: the default per head size; few queries (Lq <= 8, SAM token->image: 7 tokens per
// prompt) use BQ = 8 (16 lanes per query, nothing wasted on empty rows); few keys (Lk <= 8, SAM image->token: 4096
// image queries over 7 tokens, head size <= 32) use BQ = 128, BK = 8 (one thread per query).
// Keys shared by the whole batch (batch stride 0, SAM's first token->image attention for text prompts) with queries
// and outputs densely stacked are run as ONE batch of B*Lq queries: each K/V tile is read once for every prompt.
// Split-K: when the grid cannot fill the GPU, the key range is split over gridDim.z (more so for the few-query
// tiles, which stream K/V); partial (o, m, l) go to a caller-provided fp32 workspace and a second kernel merges
// them. Without (enough) workspace the kernel splits less or not at all.
#include <cmath>
#include <cstring>
#include <string>

#include "cuda_common.cuh"

namespace calico {

// attention_tc.cu: the tensor-core kernel for BF16 / F16 long-query shapes (opt-in, CALICO_MHA_TC=1)
bool mha_tc_enabled();
bool mha_tc_covers(int dtype, int dp, int64_t Lq, int64_t Lk);
int mha_tc_cuda(int dtype, int dp, int64_t q, int64_t k, int64_t v, int64_t o, int64_t B, int64_t H, int64_t Lq,
                int64_t Lk, int64_t d, int64_t qbs, int64_t qrs, int64_t kbs, int64_t krs, int64_t vbs, int64_t vrs,
                int64_t obs, int64_t ors, float scale, bool vec, int64_t stream);

namespace {

constexpr int kThreads = 128;

/** Tile shapes: default per padded head size DP; kSmallQ for Lq <= 8; kSmallK for Lk <= 8 (DP <= 32). */
enum MhaShape { kDefault = 0, kSmallQ = 1, kSmallK = 2 };

template <int DP, int SHAPE> struct MhaCfg;
template <> struct MhaCfg<16, kDefault> { static constexpr int BQ = 64, BK = 64; };
template <> struct MhaCfg<32, kDefault> { static constexpr int BQ = 64, BK = 64; };
template <> struct MhaCfg<64, kDefault> { static constexpr int BQ = 32, BK = 32; };
template <> struct MhaCfg<96, kDefault> { static constexpr int BQ = 32, BK = 32; };
template <> struct MhaCfg<128, kDefault> { static constexpr int BQ = 16, BK = 32; };
template <> struct MhaCfg<16, kSmallQ> { static constexpr int BQ = 8, BK = 64; };
template <> struct MhaCfg<32, kSmallQ> { static constexpr int BQ = 8, BK = 64; };
template <> struct MhaCfg<64, kSmallQ> { static constexpr int BQ = 8, BK = 32; };
template <> struct MhaCfg<96, kSmallQ> { static constexpr int BQ = 8, BK = 32; };
template <> struct MhaCfg<128, kSmallQ> { static constexpr int BQ = 8, BK = 32; };
template <> struct MhaCfg<16, kSmallK> { static constexpr int BQ = 128, BK = 8; };
template <> struct MhaCfg<32, kSmallK> { static constexpr int BQ = 128, BK = 8; };

struct MhaParams {
    int64_t B, H, Lq, Lk, d;
    int64_t qbs, qrs, kbs, krs, vbs, vrs, obs, ors;
    float scale_log2;  // scale * log2(e): softmax in base 2
    int nsplit;
    int64_t keys_per_split;  // multiple of BK
    int vec;                 // 1: every row of q/k/v/o is aligned for 4-element vector loads (d % 4 == 0)
};

/** rows x DP tile of a strided operand (row r at base + r*rs, columns 0..d-1) -> fp32 shared rows of stride DS. */
template <typename T, int DP, int DS, int ROWS>
__device__ inline void load_tile(const T* __restrict__ base, int64_t rs, int64_t r0, int64_t rend, int d, float mul,
                                 bool vec, float* __restrict__ dst) {
    const int tid = threadIdx.x;
    if (vec) {
        constexpr int C4 = DP / 4;
        for (int e = tid; e < ROWS * C4; e += kThreads) {
            const int r = e / C4, c = (e % C4) * 4;
            float v[4] = {0.f, 0.f, 0.f, 0.f};
            if (r0 + r < rend && c < d) Vec4<T>::load(base + (r0 + r) * rs + c, v);
            float4 f;
            f.x = v[0] * mul, f.y = v[1] * mul, f.z = v[2] * mul, f.w = v[3] * mul;
            *reinterpret_cast<float4*>(dst + r * DS + c) = f;
        }
    } else {
        for (int e = tid; e < ROWS * DP; e += kThreads) {
            const int r = e / DP, c = e % DP;
            float val = 0.f;
            if (r0 + r < rend && c < d) val = CudaElem<T>::load(base + (r0 + r) * rs + c) * mul;
            dst[r * DS + c] = val;
        }
    }
}

template <typename T, int DP, int SHAPE>
__global__ void __launch_bounds__(kThreads)
mha_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o,
           float* __restrict__ ws_o, float* __restrict__ ws_ml, MhaParams p) {
    constexpr int BQ = MhaCfg<DP, SHAPE>::BQ, BK = MhaCfg<DP, SHAPE>::BK;
    constexpr int TPR = kThreads / BQ;  // lanes per query row (consecutive lanes of one warp)
    constexpr int SPT = BK / TPR;       // scores per thread per tile
    constexpr int OPT = DP / TPR;       // output columns per thread
    constexpr bool VPV = OPT % 4 == 0;  // P.V with float4 reads: each lane owns groups of 4 adjacent columns
    constexpr int DS = DP + 4;          // shared row strides: 16-byte aligned rows
    constexpr int PS = BK + 4;
    static_assert(TPR >= 1 && TPR <= 32 && BK % TPR == 0 && DP % TPR == 0 && DP % 4 == 0 && BK % 4 == 0, "tile shape");
    __shared__ __align__(16) float sq[BQ * DS];
    __shared__ __align__(16) float sk[BK * DS];
    __shared__ __align__(16) float sv[BK * DS];
    __shared__ __align__(16) float sp[BQ * PS];

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
    const bool vec = p.vec != 0;

    const T* qb = q + b * p.qbs + h * p.d;
    const T* kb = k + b * p.kbs + h * p.d;
    const T* vb = v + b * p.vbs + h * p.d;

    load_tile<T, DP, DS, BQ>(qb, p.qrs, i0, p.Lq, d, p.scale_log2, vec, sq);

    float m = -INFINITY, l = 0.f;
    float acc[OPT];
#pragma unroll
    for (int t = 0; t < OPT; t++) acc[t] = 0.f;

    for (int64_t j0 = kbeg; j0 < kend; j0 += BK) {
        __syncthreads();  // Q tile written / previous K, V, P tiles consumed
        load_tile<T, DP, DS, BK>(kb, p.krs, j0, kend, d, 1.f, vec, sk);
        load_tile<T, DP, DS, BK>(vb, p.vrs, j0, kend, d, 1.f, vec, sv);
        __syncthreads();

        float s[SPT];
#pragma unroll
        for (int t = 0; t < SPT; t++) s[t] = 0.f;
        const float* qrow = sq + row * DS;
#pragma unroll 4
        for (int c = 0; c < DP; c += 4) {
            const float4 qv = *reinterpret_cast<const float4*>(qrow + c);
#pragma unroll
            for (int t = 0; t < SPT; t++) {
                const float4 kv = *reinterpret_cast<const float4*>(sk + (lr + TPR * t) * DS + c);
                s[t] = fmaf(qv.x, kv.x, fmaf(qv.y, kv.y, fmaf(qv.z, kv.z, fmaf(qv.w, kv.w, s[t]))));
            }
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
            const float pv = exp2f(s[t] - m_new);  // 0 for keys past the end
            ls += pv;
            sp[row * PS + lr + TPR * t] = pv;
        }
#pragma unroll
        for (int off = TPR / 2; off > 0; off >>= 1) ls += __shfl_xor_sync(0xffffffffu, ls, off);
        l = l * alpha + ls;
        m = m_new;
#pragma unroll
        for (int t = 0; t < OPT; t++) acc[t] *= alpha;
        __syncwarp();  // the row's probabilities come from the TPR lanes of this warp
        // keys past the end have probability 0 and zero-filled V rows: running to a multiple of 4 is exact
        const int jmax = static_cast<int>(min(static_cast<int64_t>(BK), kend - j0));  // block-uniform
        const float* prow = sp + row * PS;
        if constexpr (VPV) {
            for (int j = 0; j < jmax; j += 4) {
                const float4 p4 = *reinterpret_cast<const float4*>(prow + j);
                const float pj[4] = {p4.x, p4.y, p4.z, p4.w};
#pragma unroll
                for (int jj = 0; jj < 4; jj++) {
                    const float* vr = sv + (j + jj) * DS;
#pragma unroll
                    for (int g = 0; g < OPT / 4; g++) {
                        const float4 vv = *reinterpret_cast<const float4*>(vr + 4 * (lr + TPR * g));
                        acc[4 * g] = fmaf(pj[jj], vv.x, acc[4 * g]);
                        acc[4 * g + 1] = fmaf(pj[jj], vv.y, acc[4 * g + 1]);
                        acc[4 * g + 2] = fmaf(pj[jj], vv.z, acc[4 * g + 2]);
                        acc[4 * g + 3] = fmaf(pj[jj], vv.w, acc[4 * g + 3]);
                    }
                }
            }
        } else {
            for (int j = 0; j < jmax; j++) {
                const float pj = prow[j];
#pragma unroll
                for (int t = 0; t < OPT; t++) acc[t] = fmaf(pj, sv[j * DS + lr + TPR * t], acc[t]);
            }
        }
    }

    const int64_t i = i0 + row;
    if (p.nsplit == 1) {
        // through shared memory (the Q tile is no longer read) for coalesced stores;
        // l == 0 only without keys (Lk == 0): zeros, as the composite's matmul over an empty key set
        const float inv = l > 0.f ? 1.f / l : 0.f;
        __syncthreads();
#pragma unroll
        for (int t = 0; t < OPT; t++) {
            const int c = VPV ? 4 * (lr + TPR * (t / 4)) + (t % 4) : lr + TPR * t;
            sq[row * DS + c] = acc[t] * inv;
        }
        __syncthreads();
        T* ob = o + b * p.obs + h * p.d;
        for (int e = tid; e < BQ * DP; e += kThreads) {
            const int r = e / DP, c = e % DP;
            if (i0 + r < p.Lq && c < d) CudaElem<T>::store(ob + (i0 + r) * p.ors + c, sq[r * DS + c]);
        }
    } else if (i < p.Lq) {
        const int64_t slot = (static_cast<int64_t>(split) * p.B * p.H + bh) * p.Lq + i;
#pragma unroll
        for (int t = 0; t < OPT; t++) {
            const int c = VPV ? 4 * (lr + TPR * (t / 4)) + (t % 4) : lr + TPR * t;
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

/** The tile shape for these sizes (see the file comment). */
int pick_shape(int dp, int64_t Lq, int64_t Lk) {
    if (Lk <= 8 && Lq > 8 && dp <= 32) return kSmallK;
    if (Lq <= 8) return kSmallQ;
    return kDefault;
}

template <int SHAPE> void cfg_of(int dp, int* bq, int* bk) {
    switch (dp) {
        case 16: *bq = MhaCfg<16, SHAPE>::BQ, *bk = MhaCfg<16, SHAPE>::BK; return;
        case 32: *bq = MhaCfg<32, SHAPE>::BQ, *bk = MhaCfg<32, SHAPE>::BK; return;
        default: break;
    }
    if constexpr (SHAPE != kSmallK) {
        switch (dp) {
            case 64: *bq = MhaCfg<64, SHAPE>::BQ, *bk = MhaCfg<64, SHAPE>::BK; return;
            case 96: *bq = MhaCfg<96, SHAPE>::BQ, *bk = MhaCfg<96, SHAPE>::BK; return;
            default: *bq = MhaCfg<128, SHAPE>::BQ, *bk = MhaCfg<128, SHAPE>::BK; return;
        }
    }
}

void tile_of(int shape, int dp, int* bq, int* bk) {
    if (shape == kSmallK) cfg_of<kSmallK>(dp, bq, bk);
    else if (shape == kSmallQ) cfg_of<kSmallQ>(dp, bq, bk);
    else cfg_of<kDefault>(dp, bq, bk);
}

/**
 * Number of key splits (1 = none) and keys per split for these sizes on the current device. Splits when the grid
 * has fewer blocks than SMs (few-query tiles, which stream K/V with little reuse: fewer than 2 blocks per SM), aiming
 * at about two (few-query tiles: four) blocks per SM, at least two key tiles per split, at most 64 splits.
 */
void plan_split(int64_t B, int64_t H, int64_t Lq, int64_t Lk, int dp, int shape, int* nsplit, int64_t* per_split) {
    int bq = 0, bk = 0;
    tile_of(shape, dp, &bq, &bk);
    const int64_t blocks = B * H * ((Lq + bq - 1) / bq);
    const int sms = sm_count();
    *nsplit = 1;
    *per_split = ((Lk + bk - 1) / bk) * bk;
    const int64_t per_sm = shape == kSmallQ ? 4 : 2;
    if (sms <= 0 || blocks <= 0 || Lk <= 4 * bk) return;
    if (blocks >= (per_sm / 2) * sms) return;
    const int64_t tiles = (Lk + bk - 1) / bk;
    int64_t want = (per_sm * sms + blocks - 1) / blocks;
    int64_t ns = want < tiles / 2 ? want : tiles / 2;  // at least two tiles per split
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

template <typename T, int DP, int SHAPE>
int launch_mha(int64_t q, int64_t k, int64_t v, int64_t o, MhaParams p, int64_t ws, int64_t ws_bytes,
               cudaStream_t st) {
    constexpr int BQ = MhaCfg<DP, SHAPE>::BQ, BK = MhaCfg<DP, SHAPE>::BK;
    int nsplit = 1;
    int64_t per = 0;
    plan_split(p.B, p.H, p.Lq, p.Lk, DP, SHAPE, &nsplit, &per);
    if (nsplit > 1 && (ws == 0 || ws_bytes < workspace_for(p.B, p.H, p.Lq, nsplit, DP))) {
        // as many splits as the workspace holds
        const int64_t one = workspace_for(p.B, p.H, p.Lq, 2, DP) / 2;
        int fit = ws == 0 || one <= 0 ? 1 : static_cast<int>(ws_bytes / one < nsplit ? ws_bytes / one : nsplit);
        const int64_t tiles = (p.Lk + BK - 1) / BK;
        if (fit >= 2) {
            const int64_t tiles_per = (tiles + fit - 1) / fit;
            per = tiles_per * BK;
            nsplit = static_cast<int>((tiles + tiles_per - 1) / tiles_per);
        } else {
            nsplit = 1;
            per = tiles * BK;
        }
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
    auto kfn = mha_kernel<T, DP, SHAPE>;
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

template <typename T, int SHAPE>
int dispatch_dp(int dp, int64_t q, int64_t k, int64_t v, int64_t o, const MhaParams& p, int64_t ws, int64_t wsb,
                cudaStream_t st) {
    switch (dp) {
        case 16: return launch_mha<T, 16, SHAPE>(q, k, v, o, p, ws, wsb, st);
        case 32: return launch_mha<T, 32, SHAPE>(q, k, v, o, p, ws, wsb, st);
        default: break;
    }
    if constexpr (SHAPE != kSmallK) {
        switch (dp) {
            case 64: return launch_mha<T, 64, SHAPE>(q, k, v, o, p, ws, wsb, st);
            case 96: return launch_mha<T, 96, SHAPE>(q, k, v, o, p, ws, wsb, st);
            default: return launch_mha<T, 128, SHAPE>(q, k, v, o, p, ws, wsb, st);
        }
    }
    return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: internal: no few-key tile for head size " + std::to_string(dp));
}

template <typename T>
int dispatch(int shape, int dp, int64_t q, int64_t k, int64_t v, int64_t o, const MhaParams& p, int64_t ws,
             int64_t wsb, cudaStream_t st) {
    if (shape == kSmallK) return dispatch_dp<T, kSmallK>(dp, q, k, v, o, p, ws, wsb, st);
    if (shape == kSmallQ) return dispatch_dp<T, kSmallQ>(dp, q, k, v, o, p, ws, wsb, st);
    return dispatch_dp<T, kDefault>(dp, q, k, v, o, p, ws, wsb, st);
}

/** Workspace for one launch shape (collapsed or not). */
int64_t workspace_plan(int64_t B, int64_t H, int64_t Lq, int64_t Lk, int dp) {
    int nsplit = 1;
    int64_t per = 0;
    plan_split(B, H, Lq, Lk, dp, pick_shape(dp, Lq, Lk), &nsplit, &per);
    return workspace_for(B, H, Lq, nsplit, dp);
}

bool aligned(int64_t addr, int64_t bytes) { return addr % bytes == 0; }

}  // namespace

int64_t mha_cuda_workspace_bytes(int device, int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t d) {
    const int dp = head_pad(d);
    if (dp == 0 || B <= 0 || H <= 0 || Lq <= 0 || Lk <= 0) return 0;
    DeviceGuard guard(device);
    if (!guard.ok()) return 0;
    // the strides are not known here: enough for the batch as given and for the batch collapsed (shared keys)
    const int64_t a = workspace_plan(B, H, Lq, Lk, dp), b = B > 1 ? workspace_plan(1, H, B * Lq, Lk, dp) : 0;
    return a > b ? a : b;
}

int mha_cuda(int device, int dtype, int64_t q, int64_t k, int64_t v, int64_t o, int64_t B, int64_t H, int64_t Lq, int64_t Lk,
             int64_t d, int64_t qbs, int64_t qrs, int64_t kbs, int64_t krs, int64_t vbs, int64_t vrs, int64_t obs,
             int64_t ors, float scale, int64_t workspace, int64_t workspace_bytes, int64_t stream) {
    const int dp = head_pad(d);
    if (dp == 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: head size " + std::to_string(d) + " > 128 not supported");
    CALICO_DEVICE_GUARD(device, "mha_cuda")
    // keys/values shared by the batch and queries/outputs stacked densely: one batch of B*Lq queries
    if (B > 1 && kbs == 0 && vbs == 0 && qbs == Lq * qrs && obs == Lq * ors) {
        Lq *= B;
        B = 1;
        qbs = Lq * qrs;
        obs = Lq * ors;
    }
    const int64_t es = dtype == CALICO_F32 ? 4 : 2;
    const int64_t va = dtype == CALICO_F32 ? 16 : 8;  // vector load width in bytes
    const bool vec = d % 4 == 0 && aligned(q, va) && aligned(k, va) && aligned(v, va) &&
                     (qrs * es) % va == 0 && (krs * es) % va == 0 && (vrs * es) % va == 0 &&
                     (qbs * es) % va == 0 && (kbs * es) % va == 0 && (vbs * es) % va == 0 && (d * es) % va == 0;
    if (mha_tc_enabled() && mha_tc_covers(dtype, dp, Lq, Lk))
        return mha_tc_cuda(dtype, dp, q, k, v, o, B, H, Lq, Lk, d, qbs, qrs, kbs, krs, vbs, vrs, obs, ors, scale, vec,
                           stream);
    MhaParams p{B, H, Lq, Lk, d, qbs, qrs, kbs, krs, vbs, vrs, obs, ors, scale * 1.4426950408889634f, 1, 0, vec ? 1 : 0};
    const int shape = pick_shape(dp, Lq, Lk);
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return dispatch<float>(shape, dp, q, k, v, o, p, workspace, workspace_bytes, st);
        case CALICO_BF16: return dispatch<__nv_bfloat16>(shape, dp, q, k, v, o, p, workspace, workspace_bytes, st);
        case CALICO_F16: return dispatch<__half>(shape, dp, q, k, v, o, p, workspace, workspace_bytes, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "mha_cuda: unsupported dtype");
    }
}

}  // namespace calico
