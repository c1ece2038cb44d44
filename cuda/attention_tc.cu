// attention_tc.cu -- tensor-core flash attention for BF16 / F16 storage (mma.sync m16n8k16, fp32 accumulation), CUDA.
//
// For the long-query, long-key shapes (CEM: 257 EVA tokens over 257-261 DINOv2 tokens, head size 88 -> 96) the
// SIMT kernel of attention.cu is bound by shared-memory traffic (one float4 read per 4 FMAs). Here each warp owns 16
// query rows; a block of 4 warps covers 64 queries and walks the keys in tiles of 64:
//   S (16 x 64 per warp) = Q K^T     mma.m16n8k16, A = Q fragments (registers, loaded once), B = K rows from smem
//   online softmax in base 2 on the S accumulators (rows g and g+8 of each lane's quad; max/sum over the quad)
//   O (16 x DP) += P V              the S accumulator layout IS the A-fragment layout of P (FA2), B = V^T from smem
// K is staged as [key][dim], V transposed as [dim][key] (so both B operands are 32-bit words of two consecutive
// k-elements), rows padded by 8 elements: the fragment reads of a quad land in 32 distinct banks. Q shares its
// staging buffer with K (Q goes to registers first). fp32 softmax statistics, P rounded to the storage type for the
// P V product (as FlashAttention-2). No split-K: used where the grid already fills the GPU (calico_mha decides).
//
// Off by default until a device run has checked it (bench/gpu/check.sh: CALICO_MHA_TC=1 variant): calico_mha uses it
// when the environment variable CALICO_MHA_TC is 1. Under the CPU emulation (bench/gpu/emu) the mma is computed from
// the same register fragments gathered over the warp (the PTX fragment layout written out), which checks the
// kernel's fragment bookkeeping against the CPU kernel; the layout itself is only checked on a device.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cuda_common.cuh"

namespace calico {

namespace {

constexpr int kTcThreads = 128;  // 4 warps
constexpr int kTcBQ = 64;        // queries per block (16 per warp)
constexpr int kTcBK = 64;        // keys per tile
constexpr int kTcPad = 8;        // row padding (elements)

struct TcParams {
    int64_t B, H, Lq, Lk, d;
    int64_t qbs, qrs, kbs, krs, vbs, vrs, obs, ors;
    float scale_log2;
    int vec;  // 4-element vector loads allowed
};

template <typename T> struct TcType;
template <> struct TcType<__nv_bfloat16> { static constexpr bool kBf16 = true; };
template <> struct TcType<__half> { static constexpr bool kBf16 = false; };

__device__ inline uint32_t word_at(const void* p) { return *reinterpret_cast<const uint32_t*>(p); }

/** Two fp32 values -> one 32-bit word of two T (lo in the low half), round to nearest even. */
template <typename T>
__device__ inline uint32_t pack2(float lo, float hi) {
    T a = CudaElem<T>::convert(lo), b = CudaElem<T>::convert(hi);
    uint16_t ua, ub;
    memcpy(&ua, &a, 2);
    memcpy(&ub, &b, 2);
    return static_cast<uint32_t>(ua) | (static_cast<uint32_t>(ub) << 16);
}

#ifdef CALICO_CUDA_EMU
template <typename T>
inline float half_of(uint32_t w, int hi) {
    const uint16_t h = static_cast<uint16_t>(hi ? w >> 16 : w & 0xffffu);
    return TcType<T>::kBf16 ? bf16_to_f32(h) : f16_to_f32(h);
}
#endif

/**
 * c[0..3] += A (16 x 16, row) * B (16 x 8, col) for the warp: lane (g = lane / 4, t = lane % 4) holds
 * a = {A[g][2t..2t+1], A[g+8][2t..2t+1], A[g][2t+8..2t+9], A[g+8][2t+8..2t+9]}, b = {B[2t..2t+1][g], B[2t+8..2t+9][g]},
 * c = {C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1]} (PTX ISA, mma.m16n8k16 fragments).
 */
template <typename T>
__device__ inline void mma16816(float* c, const uint32_t* a, const uint32_t* b) {
#ifdef CALICO_CUDA_EMU
    // every lane's fragments to every lane, then this lane's four outputs from the fragment layout above
    const int lane = static_cast<int>(threadIdx.x) & 31, g = lane >> 2, t = lane & 3;
    const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
    uint32_t all[32][6];
    calico_emu::warp_gather<6>(mine, all);
    for (int row = 0; row < 2; row++)      // 0: A row g (regs 0, 2); 1: A row g + 8 (regs 1, 3)
        for (int n = 0; n < 2; n++) {      // B column 2t + n
            float s = 0.f;
            for (int tt = 0; tt < 4; tt++) {  // k = 2tt + h (regs 0 / 1 of A, reg 0 of B), 2tt + 8 + h (regs 2 / 3, reg 1)
                const uint32_t* al = all[4 * g + tt];
                const uint32_t* bl = all[4 * (2 * t + n) + tt];
                for (int h = 0; h < 2; h++) {
                    s += half_of<T>(al[row], h) * half_of<T>(bl[4], h);
                    s += half_of<T>(al[row + 2], h) * half_of<T>(bl[5], h);
                }
            }
            c[2 * row + n] += s;
        }
#else
    if constexpr (TcType<T>::kBf16) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    } else {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
#endif
}

/**
 * Stages rows [r0, r0 + ROWS) x columns [0, DP) of a strided operand as T (zeros past rend / d): row-major into
 * dst[row * LD + col], or transposed (TRANS) into dst[col * LD + row].
 */
template <typename T, int DP, int ROWS, int LD, bool TRANS>
__device__ inline void stage(const T* __restrict__ base, int64_t rs, int64_t r0, int64_t rend, int d, bool vec,
                             T* __restrict__ dst) {
    const int tid = threadIdx.x;
    const T zero = CudaElem<T>::convert(0.f);
    constexpr int C4 = DP / 4;
    for (int e = tid; e < ROWS * C4; e += kTcThreads) {
        const int r = e / C4, c = (e % C4) * 4;
        T v[4] = {zero, zero, zero, zero};
        if (r0 + r < rend) {
            const T* src = base + (r0 + r) * rs + c;
            if (vec) {
                if (c < d) {
                    const uint2 u = *reinterpret_cast<const uint2*>(src);
                    memcpy(v, &u, sizeof(u));
                }
            } else {
                for (int i = 0; i < 4; i++)
                    if (c + i < d) v[i] = src[i];
            }
        }
        if constexpr (TRANS) {
            for (int i = 0; i < 4; i++) dst[(c + i) * LD + r] = v[i];
        } else {
            for (int i = 0; i < 4; i++) dst[r * LD + c + i] = v[i];
        }
    }
}

template <typename T, int DP>
__global__ void __launch_bounds__(kTcThreads)
mha_tc_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o, TcParams p) {
    constexpr int LDK = DP + kTcPad;     // sQ / sK row stride
    constexpr int LDV = kTcBK + kTcPad;  // sVt row stride
    constexpr int KC = DP / 16;          // 16-wide chunks of the head dimension
    constexpr int NT = kTcBK / 8;        // 8-key column tiles of S
    constexpr int DN = DP / 8;           // 8-wide column tiles of O
    constexpr int QK_ELEMS = (kTcBQ > kTcBK ? kTcBQ : kTcBK) * LDK;
    __shared__ __align__(16) T sQK[QK_ELEMS];  // Q first, then every K tile
    __shared__ __align__(16) T sVt[DP * LDV];

    const int64_t bh = blockIdx.x;
    const int64_t b = bh / p.H, h = bh % p.H;
    const int64_t i0 = static_cast<int64_t>(blockIdx.y) * kTcBQ;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int d = static_cast<int>(p.d);
    const bool vec = p.vec != 0;
    const T* qb = q + b * p.qbs + h * p.d;
    const T* kb = k + b * p.kbs + h * p.d;
    const T* vb = v + b * p.vbs + h * p.d;

    stage<T, DP, kTcBQ, LDK, false>(qb, p.qrs, i0, p.Lq, d, vec, sQK);
    __syncthreads();
    uint32_t qa[KC][4];
    {
        const T* r0 = sQK + (warp * 16 + g) * LDK;
        const T* r1 = r0 + 8 * LDK;
#pragma unroll
        for (int kc = 0; kc < KC; kc++) {
            qa[kc][0] = word_at(r0 + kc * 16 + 2 * t);
            qa[kc][1] = word_at(r1 + kc * 16 + 2 * t);
            qa[kc][2] = word_at(r0 + kc * 16 + 2 * t + 8);
            qa[kc][3] = word_at(r1 + kc * 16 + 2 * t + 8);
        }
    }

    float oacc[DN][4];
#pragma unroll
    for (int dn = 0; dn < DN; dn++) oacc[dn][0] = oacc[dn][1] = oacc[dn][2] = oacc[dn][3] = 0.f;
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;  // rows g and g+8; l: this lane's partial sums

    for (int64_t j0 = 0; j0 < p.Lk; j0 += kTcBK) {
        __syncthreads();  // Q fragments read / previous K and V tiles consumed
        stage<T, DP, kTcBK, LDK, false>(kb, p.krs, j0, p.Lk, d, vec, sQK);
        stage<T, DP, kTcBK, LDV, true>(vb, p.vrs, j0, p.Lk, d, vec, sVt);
        __syncthreads();

        float s[NT][4];
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
            const T* kr = sQK + (nt * 8 + g) * LDK;
#pragma unroll
            for (int kc = 0; kc < KC; kc++) {
                const uint32_t kbw[2] = {word_at(kr + kc * 16 + 2 * t), word_at(kr + kc * 16 + 2 * t + 8)};
                mma16816<T>(s[nt], qa[kc], kbw);
            }
        }
        // scale (base 2), mask keys past the end, running max of rows g / g+8 over the quad
        float mx0 = -INFINITY, mx1 = -INFINITY;
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int64_t key = j0 + nt * 8 + 2 * t + (e & 1);
                s[nt][e] = key < p.Lk ? s[nt][e] * p.scale_log2 : -INFINITY;
                if (e < 2) mx0 = fmaxf(mx0, s[nt][e]);
                else mx1 = fmaxf(mx1, s[nt][e]);
            }
#pragma unroll
        for (int off = 1; off <= 2; off <<= 1) {
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, off));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, off));
        }
        const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);  // finite: the tile holds at least one key
        const float al0 = exp2f(m0 - mn0), al1 = exp2f(m1 - mn1);
        m0 = mn0;
        m1 = mn1;
        l0 *= al0;
        l1 *= al1;
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            s[nt][0] = exp2f(s[nt][0] - mn0);
            s[nt][1] = exp2f(s[nt][1] - mn0);
            s[nt][2] = exp2f(s[nt][2] - mn1);
            s[nt][3] = exp2f(s[nt][3] - mn1);
            l0 += s[nt][0] + s[nt][1];
            l1 += s[nt][2] + s[nt][3];
        }
#pragma unroll
        for (int dn = 0; dn < DN; dn++) {
            oacc[dn][0] *= al0;
            oacc[dn][1] *= al0;
            oacc[dn][2] *= al1;
            oacc[dn][3] *= al1;
        }
        // O += P V: P's 16 x 16 chunk c is S tiles 2c (keys 2t..) and 2c+1 (keys 2t+8..)
#pragma unroll
        for (int c = 0; c < kTcBK / 16; c++) {
            const uint32_t pa[4] = {pack2<T>(s[2 * c][0], s[2 * c][1]), pack2<T>(s[2 * c][2], s[2 * c][3]),
                                    pack2<T>(s[2 * c + 1][0], s[2 * c + 1][1]), pack2<T>(s[2 * c + 1][2], s[2 * c + 1][3])};
#pragma unroll
            for (int dn = 0; dn < DN; dn++) {
                const T* vr = sVt + (dn * 8 + g) * LDV + c * 16 + 2 * t;
                const uint32_t vbw[2] = {word_at(vr), word_at(vr + 8)};
                mma16816<T>(oacc[dn], pa, vbw);
            }
        }
    }

#pragma unroll
    for (int off = 1; off <= 2; off <<= 1) {
        l0 += __shfl_xor_sync(0xffffffffu, l0, off);
        l1 += __shfl_xor_sync(0xffffffffu, l1, off);
    }
    // l == 0 only without keys (Lk == 0): zeros, as the composite's matmul over an empty key set
    const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
    T* ob = o + b * p.obs + h * p.d;
    const int64_t r0 = i0 + warp * 16 + g, r1 = r0 + 8;
#pragma unroll
    for (int dn = 0; dn < DN; dn++) {
        const int c = dn * 8 + 2 * t;
        for (int e = 0; e < 2; e++) {
            if (c + e >= d) continue;
            if (r0 < p.Lq) CudaElem<T>::store(ob + r0 * p.ors + c + e, oacc[dn][e] * inv0);
            if (r1 < p.Lq) CudaElem<T>::store(ob + r1 * p.ors + c + e, oacc[dn][2 + e] * inv1);
        }
    }
}

template <typename T, int DP>
int launch_tc(int64_t q, int64_t k, int64_t v, int64_t o, const TcParams& p, cudaStream_t st) {
    const int64_t qtiles = (p.Lq + kTcBQ - 1) / kTcBQ;
    if (p.B * p.H > 2147483647LL || qtiles > 65535)
        return set_error(CALICO_ERR_UNSUPPORTED, "mha_tc: grid too large");
    dim3 grid(static_cast<unsigned>(p.B * p.H), static_cast<unsigned>(qtiles), 1);
    auto kfn = mha_tc_kernel<T, DP>;
    CALICO_LAUNCH(kfn, grid, dim3(kTcThreads), st, reinterpret_cast<const T*>(q), reinterpret_cast<const T*>(k),
                  reinterpret_cast<const T*>(v), reinterpret_cast<T*>(o), p);
    return check_launch("mha_tc_kernel");
}

template <typename T>
int dispatch_tc(int dp, int64_t q, int64_t k, int64_t v, int64_t o, const TcParams& p, cudaStream_t st) {
    switch (dp) {
        case 32: return launch_tc<T, 32>(q, k, v, o, p, st);
        case 64: return launch_tc<T, 64>(q, k, v, o, p, st);
        case 96: return launch_tc<T, 96>(q, k, v, o, p, st);
        case 128: return launch_tc<T, 128>(q, k, v, o, p, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "mha_tc: head size pad " + std::to_string(dp));
    }
}

}  // namespace

bool mha_tc_enabled() {
    const char* e = std::getenv("CALICO_MHA_TC");
    return e != nullptr && e[0] == '1';
}

bool mha_tc_covers(int dtype, int dp, int64_t Lq, int64_t Lk) {
    return dtype != CALICO_F32 && (dp == 32 || dp == 64 || dp == 96 || dp == 128) && Lq >= 64 && Lk >= 16;
}

int mha_tc_cuda(int dtype, int dp, int64_t q, int64_t k, int64_t v, int64_t o, int64_t B, int64_t H, int64_t Lq,
                int64_t Lk, int64_t d, int64_t qbs, int64_t qrs, int64_t kbs, int64_t krs, int64_t vbs, int64_t vrs,
                int64_t obs, int64_t ors, float scale, bool vec, int64_t stream) {
    TcParams p{B, H, Lq, Lk, d, qbs, qrs, kbs, krs, vbs, vrs, obs, ors, scale * 1.4426950408889634f, vec ? 1 : 0};
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    if (dtype == CALICO_BF16) return dispatch_tc<__nv_bfloat16>(dp, q, k, v, o, p, st);
    if (dtype == CALICO_F16) return dispatch_tc<__half>(dp, q, k, v, o, p, st);
    return set_error(CALICO_ERR_UNSUPPORTED, "mha_tc: BF16 / F16 only");
}

}  // namespace calico
