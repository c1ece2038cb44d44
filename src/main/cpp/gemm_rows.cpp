// gemm_rows.cpp -- y = x W^T (+ bias) (+ residual) on the CPU with the epilogue fused and rows mapped, F32 (AVX-512F)
// and BF16 (AVX512-BF16): the projections of CALICO's native ops (Q-Former q and K|V, CEM q, K|V and the residual
// output projection, CAM reintegration straight into the hidden rows of each image's span).
//
//   out[orow(m), n] = (residual[rrow(m), n]) + bias[n] + sum_k x[m, k] W[n, k]
//
// LibTorch's addmm runs these through OpenBLAS (F32) or oneDNN (BF16) and a separate pass for a residual or a
// scatter; here the product accumulates in fp32 (BF16: VDPBF16PS, two products per lane; F32: FMA) and each output
// element is produced once, in the row it belongs to (BF16: one rounding).
//
// Layout. M rows of x, N output features, K inputs. The product runs with the M rows in the 16 vector lanes: x is
// packed once per call, xp[m / 16][k][m % 16] (BF16: k counts pairs, two bf16 per 32-bit lane), and each weight word
// (BF16: the pair W[n, k:k+2]; F32: W[n, k]) is broadcast, so the weights are read in their stored [N, K] layout
// (no per-call packing of a weight matrix). A micro-tile is MV vectors of rows (MV * 16 rows) x NB output features:
// MV * NB accumulators, MV loads and NB broadcasts per MV * NB VDPBF16PS / FMA (4 x 6; on the Zen 4 it was tuned on
// that runs at the VDPBF16PS / FMA issue rate, see docs/performance.md). Tiles store their accumulators column by
// column into a per-thread panel (kPanel features x 64 rows); the epilogue transposes it in 16 x 16 register blocks
// and adds bias and residual in fp32, prefetching the next panel's slice of each (possibly scattered) row. OpenMP
// splits the output features by panels.
#include <algorithm>
#include <string>
#include <type_traits>

#include "kernel_util.h"

// GCC 12 reports maybe-uninitialized inside its own AVX-512 intrinsics (masked loads/gathers)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CALICO_X86 1
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

constexpr int kMaxMV = 4;        // 64 rows per m-block
constexpr int kMaxNB = 6;        // output features per micro-tile
constexpr int kPanel = 8 * kMaxNB;  // output features per panel (one OpenMP task)
constexpr int kPanelRows = 16 * kMaxMV;

#ifdef CALICO_X86
/**
 * acc for rows [16*mv0, 16*(mv0+MV)) x features [n0, n0+NB) -> st[(n - n0 + col0) * kPanelRows + row - 16*mv0].
 * BF16: xp holds 32-bit pairs along K (VDPBF16PS, two products per lane); F32: one float per lane and k (FMA).
 */
// one target for both instantiations; the F32 one holds no AVX512-BF16 instruction (only the BF16 branch does) and
// runs wherever AVX-512F does
template <int DT, int MV, int NB>
__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
void tile(const uint32_t* __restrict xp, const void* __restrict wv, int64_t ldw, int64_t n0, int64_t K, int64_t mv0,
          float* __restrict st, int col0) {
    constexpr bool BF = DT == CALICO_BF16;
    const int64_t KS = BF ? K / 2 : K;         // full steps
    const int64_t KP = BF ? (K + 1) / 2 : K;   // packed steps per row vector (BF16: the last pair half zero for odd K)
    __m512 acc[MV][NB];
#pragma GCC unroll 4
    for (int v = 0; v < MV; v++)
#pragma GCC unroll 6
        for (int j = 0; j < NB; j++) acc[v][j] = _mm512_setzero_ps();
    const uint32_t* xb = xp + mv0 * KP * 16;
    const uint32_t* wr[NB];  // BF16: row n as 16-bit elements, read in pairs; F32: row n as floats' bits
#pragma GCC unroll 6
    for (int j = 0; j < NB; j++)
        wr[j] = BF ? reinterpret_cast<const uint32_t*>(static_cast<const uint16_t*>(wv) + (n0 + j) * ldw)
                   : static_cast<const uint32_t*>(wv) + (n0 + j) * ldw;
    for (int64_t k = 0; k < KS; k++) {
        __m512 xv[MV];
#pragma GCC unroll 4
        for (int v = 0; v < MV; v++) xv[v] = _mm512_load_ps(xb + (v * KP + k) * 16);
#pragma GCC unroll 6
        for (int j = 0; j < NB; j++) {
            uint32_t word;
            __builtin_memcpy(&word, wr[j] + k, 4);  // unaligned for BF16 rows of odd K
            const __m512i wb = _mm512_set1_epi32(static_cast<int>(word));
#pragma GCC unroll 4
            for (int v = 0; v < MV; v++) {
                if constexpr (BF)
                    acc[v][j] = _mm512_dpbf16_ps(acc[v][j], (__m512bh)xv[v], (__m512bh)wb);
                else
                    acc[v][j] = _mm512_fmadd_ps(xv[v], _mm512_castsi512_ps(wb), acc[v][j]);
            }
        }
    }
    if (BF && KS < KP) {  // odd K: the last weight element paired with zero (never reads past the row)
        __m512 xv[MV];
#pragma GCC unroll 4
        for (int v = 0; v < MV; v++) xv[v] = _mm512_load_ps(xb + (v * KP + KS) * 16);
#pragma GCC unroll 6
        for (int j = 0; j < NB; j++) {
            const uint16_t last = reinterpret_cast<const uint16_t*>(wr[j])[K - 1];
            const __m512i wb = _mm512_set1_epi32(static_cast<int>(last));
#pragma GCC unroll 4
            for (int v = 0; v < MV; v++) acc[v][j] = _mm512_dpbf16_ps(acc[v][j], (__m512bh)xv[v], (__m512bh)wb);
        }
    }
#pragma GCC unroll 4
    for (int v = 0; v < MV; v++)
#pragma GCC unroll 6
        for (int j = 0; j < NB; j++) _mm512_store_ps(st + (col0 + j) * kPanelRows + v * 16, acc[v][j]);
}

using TileFn = void (*)(const uint32_t*, const void*, int64_t, int64_t, int64_t, int64_t, float*, int);

template <int DT, int MV>
TileFn tile_for_nb(int nb) {
    switch (nb) {
        case 1: return tile<DT, MV, 1>;
        case 2: return tile<DT, MV, 2>;
        case 3: return tile<DT, MV, 3>;
        case 4: return tile<DT, MV, 4>;
        case 5: return tile<DT, MV, 5>;
        default: return tile<DT, MV, 6>;
    }
}

template <int DT>
TileFn tile_for(int mv, int nb) {
    switch (mv) {
        case 1: return tile_for_nb<DT, 1>(nb);
        case 2: return tile_for_nb<DT, 2>(nb);
        case 3: return tile_for_nb<DT, 3>(nb);
        default: return tile_for_nb<DT, 4>(nb);
    }
}

/** Micro-tile kernels by (MV - 1) * kMaxNB + NB - 1. */
template <int DT>
struct TileTable {
    TileFn fn[kMaxMV * kMaxNB];
    TileTable() {
        for (int mv = 1; mv <= kMaxMV; mv++)
            for (int nb = 1; nb <= kMaxNB; nb++) fn[(mv - 1) * kMaxNB + nb - 1] = tile_for<DT>(mv, nb);
    }
};
const TileTable<CALICO_BF16> kTableBf16;
const TileTable<CALICO_F32> kTableF32;
const TileFn* const kTilesBf16 = kTableBf16.fn;
const TileFn* const kTilesF32 = kTableF32.fn;

/** pack_x's scalar part: the packed words kw0.. of every row vector (see pack_x). */
void pack_x_words(int dtype, const void* xv, int64_t M, int64_t K, int64_t ldx, uint32_t* xp, int64_t kw0) {
    const int64_t MVn = (M + 15) / 16;
    if (dtype == CALICO_F32) {
        const uint32_t* x = static_cast<const uint32_t*>(xv);
        for (int64_t mv = 0; mv < MVn; mv++)
            for (int64_t k = kw0; k < K; k++) {
                uint32_t* dst = xp + (mv * K + k) * 16;
                for (int i = 0; i < 16; i++) dst[i] = mv * 16 + i < M ? x[(mv * 16 + i) * ldx + k] : 0u;
            }
        return;
    }
    const uint16_t* x = static_cast<const uint16_t*>(xv);
    const int64_t KP = (K + 1) / 2;
    for (int64_t mv = 0; mv < MVn; mv++)
        for (int64_t k2 = kw0; k2 < KP; k2++) {
            uint32_t* dst = xp + (mv * KP + k2) * 16;
            for (int i = 0; i < 16; i++) {
                const int64_t m = mv * 16 + i;
                uint32_t lo = 0, hi = 0;
                if (m < M) {
                    lo = x[m * ldx + 2 * k2];
                    hi = 2 * k2 + 1 < K ? x[m * ldx + 2 * k2 + 1] : 0;
                }
                dst[i] = lo | (hi << 16);
            }
        }
}

/** In-register transpose of a 16 x 16 fp32 block: r[i][j] becomes r[j][i]. */
__attribute__((target("avx512f")))
inline void transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}

/**
 * x [M, K] (row stride ldx) -> xp, rows past M zero. BF16: [ceil(M/16)][ceil(K/2)][16] 32-bit pairs (k, k+1), the
 * upper half zero past K; F32: [ceil(M/16)][K][16] floats. Whole 16-word blocks go through transpose16 (a row's
 * words are 16 floats, or 16 bf16 pairs read as 32-bit words); the rest word by word.
 */
__attribute__((target("avx512f")))
void pack_x(int dtype, const void* xv, int64_t M, int64_t K, int64_t ldx, uint32_t* xp) {
    const bool bf = dtype == CALICO_BF16;
    const int64_t KW = bf ? (K + 1) / 2 : K;  // packed words per row
    const int64_t full = bf ? K / 2 : K;      // words that are complete in x
    const int64_t KB = full / 16 * 16, MVn = (M + 15) / 16;
    const char* x = static_cast<const char*>(xv);
    const int64_t es = bf ? 2 : 4;  // element bytes; a word is 4 bytes either way (two bf16 or one float)
    for (int64_t mv = 0; mv < MVn; mv++)
        for (int64_t k0 = 0; k0 < KB; k0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) {
                const int64_t m = mv * 16 + i;
                r[i] = m < M ? _mm512_loadu_ps(x + m * ldx * es + k0 * 4) : _mm512_setzero_ps();
            }
            transpose16(r);
            for (int j = 0; j < 16; j++) _mm512_store_ps(xp + (mv * KW + k0 + j) * 16, r[j]);
        }
    if (KB < KW) pack_x_words(dtype, xv, M, K, ldx, xp, KB);
}

/**
 * Epilogue of one m-block of a panel: st holds the accumulators column by column (st[col * kPanelRows + row]);
 * 16 x 16 blocks are transposed in registers, and for each row i < rows of the block
 *   out[orow[i] * ldo + c] = (R ? R[rrow[i] * ldr + c] : 0) + (bias[c] + acc),  c in [p0, p1)
 * (BF16: rounded to nearest even, NaN -> 0x7fc0, as c10 and cvt_f32_to_bf16; F32: stored as is).
 */
template <int DT>
__attribute__((target("avx512f,avx512bw,avx512vl")))
void epilogue(const void* Rv, const int64_t* rrow, int64_t ldr, void* Ov, const int64_t* orow, int64_t ldo,
              const float* bias, const float* st, int rows, int64_t p0, int64_t p1) {
    using E = std::conditional_t<DT == CALICO_F32, float, uint16_t>;
    const E* R = static_cast<const E*>(Rv);
    E* O = static_cast<E*>(Ov);
    const __m512i round_bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), qnan = _mm512_set1_epi32(0x7fc0);
    for (int v = 0; v * 16 < rows; v++) {
        for (int64_t cb = 0; cb < p1 - p0; cb += 16) {
            const int cnt = static_cast<int>(std::min<int64_t>(16, p1 - p0 - cb));
            const __mmask16 mk = static_cast<__mmask16>(cnt == 16 ? 0xffffu : ((1u << cnt) - 1u));
            __m512 r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) r[i] = _mm512_load_ps(st + (cb + i) * kPanelRows + v * 16);
            transpose16(r);
            const __m512 b = _mm512_maskz_loadu_ps(mk, bias + p0 + cb);
            const int n = std::min(16, rows - v * 16);
            for (int i = 0; i < n; i++) {
                const int64_t ooff = orow[v * 16 + i] * ldo + p0 + cb;
                const int64_t roff = R ? rrow[v * 16 + i] * ldr + p0 + cb : 0;
                // the next panel's slice of this row, one panel (~0.1 ms of products) ahead: the rows may be
                // scattered (CAM spans), so the hardware prefetchers do not see them coming
                if (R) _mm_prefetch(reinterpret_cast<const char*>(R + roff + kPanel), _MM_HINT_T1);
                _mm_prefetch(reinterpret_cast<const char*>(O + ooff + kPanel), _MM_HINT_T1);
                __m512 y = _mm512_add_ps(b, r[i]);
                if constexpr (DT == CALICO_F32) {
                    if (R) y = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, R + roff), y);
                    _mm512_mask_storeu_ps(O + ooff, mk, y);
                    continue;
                }
                if (R) {
                    const __m256i hb = _mm256_maskz_loadu_epi16(mk, R + roff);
                    y = _mm512_add_ps(_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(hb), 16)), y);
                }
                const __m512i u = _mm512_castps_si512(y);
                const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
                __m512i rb = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, round_bias), lsb), 16);
                rb = _mm512_mask_mov_epi32(rb, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), qnan);
                _mm256_mask_storeu_epi16(O + ooff, mk, _mm512_cvtepi32_epi16(rb));
            }
        }
    }
}
#endif

}  // namespace

bool gemm_rows_available(int dtype) {
    return (dtype == CALICO_BF16 && cpu_avx512_bf16()) || (dtype == CALICO_F32 && cpu_avx512());
}

int gemm_rows(int dtype, const void* x, int64_t M, int64_t K, int64_t ldx, const void* w, int64_t N, int64_t ldw,
              const void* bias, const void* res, const int64_t* res_rows, int64_t ldr, void* out,
              const int64_t* out_rows, int64_t ldo, bool out_f32) {
    if (!gemm_rows_available(dtype))
        return set_error(CALICO_ERR_UNSUPPORTED, "gemm_rows: needs F32 on an AVX-512 CPU or BF16 on an AVX512-BF16 CPU "
                                                 "(dtype code " + std::to_string(dtype) + ")");
    if (M <= 0 || N <= 0) return CALICO_OK;
    if (out_f32 && dtype != CALICO_F32 && res)
        return set_error(CALICO_ERR_ARG, "gemm_rows: a residual needs the output in the input dtype");
#ifdef CALICO_X86
    const bool bf = dtype == CALICO_BF16;
    const int64_t KP = bf ? (K + 1) / 2 : K, MVn = (M + 15) / 16;
    // shared by the team (the calling thread is its master): packed x and the bias in fp32
    float* shared = thread_scratch(8, static_cast<size_t>(MVn * KP * 16 + N + 16));
    if (!shared) return set_error(CALICO_ERR_ARG, "gemm_rows: out of memory for scratch");
    uint32_t* xp = reinterpret_cast<uint32_t*>(shared);  // 64-byte aligned: MVn * KP * 16 words
    float* bf32 = shared + MVn * KP * 16;
    if (K > 0) pack_x(dtype, x, M, K, ldx, xp);
    if (bias) load_f32(dtype, bias, N, bf32);
    else std::memset(bf32, 0, static_cast<size_t>(N) * sizeof(float));
    const TileFn* tiles = bf ? kTilesBf16 : kTilesF32;
    const auto epi = bf && !out_f32 ? epilogue<CALICO_BF16> : epilogue<CALICO_F32>;  // F32: stores fp32

    const int64_t npanel = (N + kPanel - 1) / kPanel;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (M * N * K > 262144)
    {
        float* st = thread_scratch(9, static_cast<size_t>(kPanel * kPanelRows));
        int64_t rrow[kPanelRows], orow[kPanelRows];
        if (!st) {
#pragma omp atomic write
            failed = 1;
        }
        if (K == 0 && st) std::memset(st, 0, static_cast<size_t>(kPanel * kPanelRows) * sizeof(float));
#pragma omp for schedule(dynamic, 1)
        for (int64_t p = 0; p < npanel; p++) {
            if (!st) continue;
            const int64_t p0 = p * kPanel, p1 = std::min<int64_t>(N, p0 + kPanel);
            for (int64_t mv0 = 0; mv0 < MVn; mv0 += kMaxMV) {
                const int mv = static_cast<int>(std::min<int64_t>(kMaxMV, MVn - mv0));
                if (K > 0)
                    for (int64_t n0 = p0; n0 < p1; n0 += kMaxNB) {
                        const int nb = static_cast<int>(std::min<int64_t>(kMaxNB, p1 - n0));
                        tiles[(mv - 1) * kMaxNB + nb - 1](xp, w, ldw, n0, K, mv0, st, static_cast<int>(n0 - p0));
                    }
                const int rows = static_cast<int>(std::min<int64_t>(16 * mv, M - 16 * mv0));
                for (int r = 0; r < rows; r++) {
                    const int64_t m = 16 * mv0 + r;
                    rrow[r] = res_rows ? res_rows[m] : m;
                    orow[r] = out_rows ? out_rows[m] : m;
                }
                epi(res, rrow, ldr, out, orow, ldo, bf32, st, rows, p0, p1);
            }
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "gemm_rows: out of memory for per-thread scratch");
    return CALICO_OK;
#else
    (void)x, (void)K, (void)ldx, (void)w, (void)ldw, (void)bias, (void)res, (void)res_rows, (void)ldr, (void)out,
        (void)out_rows, (void)ldo;
    return CALICO_ERR_UNSUPPORTED;
#endif
}

}  // namespace calico

extern "C" int calico_linear_available(int device, int dtype) {
    return device == 0 && calico::gemm_rows_available(dtype) ? 1 : 0;
}

extern "C" int calico_linear(int device, int dtype, int64_t x, int64_t w, int64_t b, int64_t residual, int64_t y,
                             int64_t m, int64_t n, int64_t k, int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    (void)stream;
    if (device != 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "linear: CPU only (device " + std::to_string(device) + "); use addmm");
    if (m < 0 || n < 0 || k < 0)
        return set_error(CALICO_ERR_ARG, "linear: bad sizes m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                             " k=" + std::to_string(k));
    if (m == 0 || n == 0) return CALICO_OK;
    if (!y || (k > 0 && (!x || !w))) return set_error(CALICO_ERR_ARG, "linear: null x, w or y address");
    return calico::gemm_rows(dtype, reinterpret_cast<const void*>(x), m, k, k, reinterpret_cast<const void*>(w), n, k,
                             reinterpret_cast<const void*>(b), reinterpret_cast<const void*>(residual), nullptr, n,
                             reinterpret_cast<void*>(y), nullptr, n);
}
