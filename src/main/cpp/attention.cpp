// attention.cpp -- fused multi-head attention on already-projected q/k/v, CPU (fp32 / bf16 / fp16 storage,
// fp32 math), with heads read in place from strided buffers (no permute/contiguous copies).
//
//   out[b, i, h*d + c] = sum_j softmax_j(scale * <q[b, i, h*d : h*d+d], k[b, j, h*d : h*d+d]>) * v[b, j, h*d + c]
//
// Flash-attention style: OpenMP over tasks (batch, head, block of kBQ queries); per task the keys stream through
// in tiles of kBK with an online softmax (running max m, running sum l, rescaled accumulator o), so scores never
// leave the L1/L2-resident tile. Inner loops are register-blocked 4x16 micro-kernels on fp32 tiles (K transposed),
// compiled for AVX-512 / AVX2 / baseline by function multi-versioning. Per-thread scratch is reused across calls.
// On AVX-512 CPUs, long queries over long keys (>= 32 each, head size >= 16: CEM) take mha_tiles_cpu instead: the
// two products through gemm_rows' FMA / VDPBF16PS tiles with the scores materialised (at most 1 M per task).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernel_util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

constexpr int kBQ = 32;  // query rows per task (multiple of 4)
constexpr int kBK = 64;  // keys per tile (multiple of 16)

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// s[r, j] = sum_c qs[r, c] * kt[c, j] for r < rows4 (multiple of 4), j < kw (multiple of 16, <= kBK);
// qs [rows4, dp], kt [dp, kBK], s [rows4, kBK].
CALICO_SIMD_CLONES
void qk_tile(const float* __restrict qs, const float* __restrict kt, float* __restrict s, int rows4, int dp, int kw) {
    for (int i = 0; i < rows4; i += 4) {
        const float* q0 = qs + (i + 0) * dp;
        const float* q1 = qs + (i + 1) * dp;
        const float* q2 = qs + (i + 2) * dp;
        const float* q3 = qs + (i + 3) * dp;
        for (int j = 0; j < kw; j += 16) {
            float a0[16], a1[16], a2[16], a3[16];
            for (int t = 0; t < 16; t++) a0[t] = a1[t] = a2[t] = a3[t] = 0.f;
            for (int c = 0; c < dp; c++) {
                const float* kr = kt + c * kBK + j;
                const float x0 = q0[c], x1 = q1[c], x2 = q2[c], x3 = q3[c];
                for (int t = 0; t < 16; t++) {
                    const float kv = kr[t];
                    a0[t] += x0 * kv;
                    a1[t] += x1 * kv;
                    a2[t] += x2 * kv;
                    a3[t] += x3 * kv;
                }
            }
            for (int t = 0; t < 16; t++) {
                s[(i + 0) * kBK + j + t] = a0[t];
                s[(i + 1) * kBK + j + t] = a1[t];
                s[(i + 2) * kBK + j + t] = a2[t];
                s[(i + 3) * kBK + j + t] = a3[t];
            }
        }
    }
}

// Online-softmax step on one tile of scores s [rows, kBK] with kb valid columns out of kw (multiple of 16):
// replaces s by the unnormalised probabilities exp(s - m_new) (0 in the padding), updates the running max m and
// sum l, and rescales the accumulator rows o [rows, dp] by exp(m_old - m_new).
CALICO_SIMD_CLONES
void softmax_tile(float* __restrict s, int rows, int kb, int kw, float* __restrict m, float* __restrict l,
                  float* __restrict o, int dp) {
    for (int r = 0; r < rows; r++) {
        float* row = s + r * kBK;
        for (int j = kb; j < kw; j++) row[j] = -std::numeric_limits<float>::infinity();
        float mx[16];
        for (int t = 0; t < 16; t++) mx[t] = row[t];
        for (int j = 16; j < kw; j += 16)
            for (int t = 0; t < 16; t++) mx[t] = mx[t] < row[j + t] ? row[j + t] : mx[t];
        float tile_max = mx[0];
        for (int t = 1; t < 16; t++) tile_max = tile_max < mx[t] ? mx[t] : tile_max;
        const float m_old = m[r];
        const float m_new = m_old < tile_max ? tile_max : m_old;
        for (int j = 0; j < kw; j++) row[j] = exp_approx(row[j] - m_new);
        for (int j = kb; j < kw; j++) row[j] = 0.f;
        float sm[16];
        for (int t = 0; t < 16; t++) sm[t] = 0.f;
        for (int j = 0; j < kw; j += 16)
            for (int t = 0; t < 16; t++) sm[t] += row[j + t];
        float sum = 0.f;
        for (int t = 0; t < 16; t++) sum += sm[t];
        if (m_old == -std::numeric_limits<float>::infinity()) {
            l[r] = sum;  // first tile: the accumulator is still zero
        } else {
            const float alpha = exp_approx(m_old - m_new);
            l[r] = l[r] * alpha + sum;
            if (alpha != 1.f) {
                float* orow = o + r * dp;
                for (int c = 0; c < dp; c++) orow[c] *= alpha;
            }
        }
        m[r] = m_new;
    }
}

// o[r, :] += sum_{j < kb} p[r, j] * v[j, :] for r < rows4; p [rows4, kBK], v rows of dp floats at stride vstride,
// o [rows4, dp].
CALICO_SIMD_CLONES
void pv_tile(const float* __restrict p, const float* __restrict v, int64_t vstride, float* __restrict o, int rows4,
             int kb, int dp) {
    for (int i = 0; i < rows4; i += 4) {
        const float* p0 = p + (i + 0) * kBK;
        const float* p1 = p + (i + 1) * kBK;
        const float* p2 = p + (i + 2) * kBK;
        const float* p3 = p + (i + 3) * kBK;
        for (int c = 0; c < dp; c += 16) {
            float a0[16], a1[16], a2[16], a3[16];
            for (int t = 0; t < 16; t++) {
                a0[t] = o[(i + 0) * dp + c + t];
                a1[t] = o[(i + 1) * dp + c + t];
                a2[t] = o[(i + 2) * dp + c + t];
                a3[t] = o[(i + 3) * dp + c + t];
            }
            for (int j = 0; j < kb; j++) {
                const float* vr = v + j * vstride + c;
                const float x0 = p0[j], x1 = p1[j], x2 = p2[j], x3 = p3[j];
                for (int t = 0; t < 16; t++) {
                    const float vv = vr[t];
                    a0[t] += x0 * vv;
                    a1[t] += x1 * vv;
                    a2[t] += x2 * vv;
                    a3[t] += x3 * vv;
                }
            }
            for (int t = 0; t < 16; t++) {
                o[(i + 0) * dp + c + t] = a0[t];
                o[(i + 1) * dp + c + t] = a1[t];
                o[(i + 2) * dp + c + t] = a2[t];
                o[(i + 3) * dp + c + t] = a3[t];
            }
        }
    }
}

// Element conversions, inlined into the (baseline-compiled) tile loaders.
template <int DT> struct Cvt;
template <> struct Cvt<CALICO_F32> {
    using T = float;
    static inline float ld(T x) { return x; }
    static inline T st(float v) { return v; }
};
template <> struct Cvt<CALICO_BF16> {
    using T = uint16_t;
    static inline float ld(T x) { return bf16_to_f32(x); }
    static inline T st(float v) { return f32_to_bf16(v); }
};
template <> struct Cvt<CALICO_F16> {
    using T = uint16_t;
    static inline float ld(T x) { return f16_to_f32(x); }
    static inline T st(float v) { return f32_to_f16(v); }
};

struct MhaArgs {
    int dtype;
    const void* q;
    const void* k;
    const void* v;
    void* o;
    int64_t B, H, Lq, Lk, d;
    int64_t qbs, qrs, kbs, krs, vbs, vrs, obs, ors;
    float scale;
};

struct MhaScratch {
    float *qs, *kt, *vs, *s, *o, *m, *l;
};

// One task: queries [i0, i0 + rows) of head h in batch b, all keys.
template <int DT>
void mha_task(const MhaArgs& a, int64_t b, int64_t h, int64_t i0, int rows, int dp, const MhaScratch& w) {
    using E = typename Cvt<DT>::T;
    const E* Q = static_cast<const E*>(a.q) + b * a.qbs + h * a.d;
    const E* K = static_cast<const E*>(a.k) + b * a.kbs + h * a.d;
    const E* V = static_cast<const E*>(a.v) + b * a.vbs + h * a.d;
    E* O = static_cast<E*>(a.o) + b * a.obs + h * a.d;
    const int d = static_cast<int>(a.d);
    const int rows4 = static_cast<int>(round_up(rows, 4));
    // fp32 with d a multiple of 16: V rows are read in place, no copy
    const bool v_direct = DT == CALICO_F32 && d == dp;

    for (int r = 0; r < rows4; r++) {
        float* dst = w.qs + r * dp;
        if (r < rows) {
            const E* src = Q + (i0 + r) * a.qrs;
            for (int c = 0; c < d; c++) dst[c] = Cvt<DT>::ld(src[c]) * a.scale;
            for (int c = d; c < dp; c++) dst[c] = 0.f;
        } else {
            for (int c = 0; c < dp; c++) dst[c] = 0.f;
        }
        w.m[r] = -std::numeric_limits<float>::infinity();
        w.l[r] = 0.f;
    }
    for (int i = 0; i < rows4 * dp; i++) w.o[i] = 0.f;
    // padding rows of K^T (c >= d) and padding columns of the V copy stay zero for the whole task
    for (int c = d; c < dp; c++)
        for (int j = 0; j < kBK; j++) w.kt[c * kBK + j] = 0.f;
    if (!v_direct)
        for (int j = 0; j < kBK; j++)
            for (int c = d; c < dp; c++) w.vs[j * dp + c] = 0.f;

    for (int64_t j0 = 0; j0 < a.Lk; j0 += kBK) {
        const int kb = static_cast<int>(std::min<int64_t>(kBK, a.Lk - j0));
        const int kw = static_cast<int>(round_up(kb, 16));
        const E* Kt = K + j0 * a.krs;
        for (int j = 0; j < kb; j++) {
            const E* src = Kt + j * a.krs;
            for (int c = 0; c < d; c++) w.kt[c * kBK + j] = Cvt<DT>::ld(src[c]);
        }
        for (int c = 0; c < d; c++)
            for (int j = kb; j < kw; j++) w.kt[c * kBK + j] = 0.f;
        const float* vrows;
        int64_t vstride;
        if (v_direct) {
            vrows = reinterpret_cast<const float*>(V + j0 * a.vrs);
            vstride = a.vrs;
        } else {
            for (int j = 0; j < kb; j++) {
                const E* src = V + (j0 + j) * a.vrs;
                float* dst = w.vs + j * dp;
                for (int c = 0; c < d; c++) dst[c] = Cvt<DT>::ld(src[c]);
            }
            vrows = w.vs;
            vstride = dp;
        }
        qk_tile(w.qs, w.kt, w.s, rows4, dp, kw);
        softmax_tile(w.s, rows4, kb, kw, w.m, w.l, w.o, dp);
        pv_tile(w.s, vrows, vstride, w.o, rows4, kb, dp);
    }

    for (int r = 0; r < rows; r++) {
        // no keys at all: softmax over an empty set, the composite's matmul gives zeros
        const float inv = w.l[r] > 0.f ? 1.f / w.l[r] : 0.f;
        const float* src = w.o + r * dp;
        E* dst = O + (i0 + r) * a.ors;
        for (int c = 0; c < d; c++) dst[c] = Cvt<DT>::st(src[c] * inv);
    }
}

int mha_cpu(const MhaArgs& a) {
    const int dp = static_cast<int>(round_up(a.d, 16));
    const int64_t nqb = (a.Lq + kBQ - 1) / kBQ;
    const int64_t tasks = a.B * a.H * nqb;
    if (tasks == 0) return CALICO_OK;
    const double work = static_cast<double>(a.B) * a.H * a.Lq * std::max<int64_t>(a.Lk, 1) * a.d;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (tasks > 1 && work > 65536.0)
    {
        MhaScratch w;
        w.qs = thread_scratch(0, static_cast<size_t>(kBQ) * dp);
        w.kt = thread_scratch(1, static_cast<size_t>(dp) * kBK);
        w.vs = thread_scratch(2, static_cast<size_t>(kBK) * dp);
        w.s = thread_scratch(3, static_cast<size_t>(kBQ) * kBK);
        w.o = thread_scratch(4, static_cast<size_t>(kBQ) * dp);
        w.m = thread_scratch(5, 2 * kBQ);
        w.l = w.m ? w.m + kBQ : nullptr;
        const bool ok = w.qs && w.kt && w.vs && w.s && w.o && w.m;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            if (!ok) continue;
            const int64_t qb = t % nqb;
            const int64_t bh = t / nqb;
            const int64_t h = bh % a.H;
            const int64_t b = bh / a.H;
            const int64_t i0 = qb * kBQ;
            const int rows = static_cast<int>(std::min<int64_t>(kBQ, a.Lq - i0));
            switch (a.dtype) {
                case CALICO_F32: mha_task<CALICO_F32>(a, b, h, i0, rows, dp, w); break;
                case CALICO_BF16: mha_task<CALICO_BF16>(a, b, h, i0, rows, dp, w); break;
                default: mha_task<CALICO_F16>(a, b, h, i0, rows, dp, w); break;
            }
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "mha: out of memory for per-thread scratch");
    return CALICO_OK;
}

constexpr int64_t kTileScores = int64_t{1} << 20;  // fp32 scores per task of the GEMM-tile path (4 MB per thread)

/** The GEMM-tile path covers these sizes on this CPU (long queries and keys: CEM, the Q-Former's unfolded form). */
bool mha_tiles_cover(const MhaArgs& a) { return gemm_rows_available(a.dtype) && a.Lq >= 32 && a.Lk >= 32 && a.d >= 16; }

/**
 * Long-query, long-key attention through gemm_rows' tiles (AVX-512 FMA / VDPBF16PS): per task (batch, head, block
 * of queries: all of them unless the block's scores exceed kTileScores) S = Q K^T into fp32 scores (K read in place: its rows are the weight rows of the product),
 * an fp32 softmax per row, P stored in the input dtype (BF16: rounded, as the composite's bf16 matmul operand),
 * V transposed once per task, O = P V straight into the output rows. Scores are materialised (up to kTileScores fp32
 * per thread), which at these sizes costs less than the online-softmax bookkeeping of mha_task.
 */
int mha_tiles_cpu(const MhaArgs& a) {
    const int64_t es = dtype_size(a.dtype);
    // query rows per task: all of them when the scores fit kTileScores (V is transposed once per task), else
    // equal blocks of a multiple of 16 rows
    const int64_t cap = std::max<int64_t>(16, kTileScores / a.Lk / 16 * 16);
    const int64_t nqb = (a.Lq + cap - 1) / cap;
    const int64_t qrows = std::min<int64_t>(a.Lq, ((a.Lq + nqb - 1) / nqb + 15) / 16 * 16);
    const int64_t tasks = a.B * a.H * nqb;
    const char* Q = static_cast<const char*>(a.q);
    const char* K = static_cast<const char*>(a.k);
    const char* V = static_cast<const char*>(a.v);
    char* O = static_cast<char*>(a.o);
    int failed = 0, rc_fail = CALICO_OK;
#pragma omp parallel num_threads(kernel_threads()) if (tasks > 1)
    {
        float* S = thread_scratch(10, static_cast<size_t>(qrows * a.Lk));
        char* PV = reinterpret_cast<char*>(thread_scratch(11, static_cast<size_t>((qrows * a.Lk + a.d * a.Lk) * es / 4 + 16)));
        if (!S || !PV) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < tasks; t++) {
            if (!S || !PV) continue;
            const int64_t qb = t % nqb, bh = t / nqb, h = bh % a.H, b = bh / a.H;
            const int64_t i0 = qb * qrows, rows = std::min<int64_t>(qrows, a.Lq - i0);
            const char* qp = Q + (b * a.qbs + i0 * a.qrs + h * a.d) * es;
            const char* kp = K + (b * a.kbs + h * a.d) * es;
            const char* vp = V + (b * a.vbs + h * a.d) * es;
            char* op = O + (b * a.obs + i0 * a.ors + h * a.d) * es;
            char* P = PV;
            char* VT = PV + (rows * a.Lk * es + 63) / 64 * 64;
            int rc = gemm_rows(a.dtype, qp, rows, a.d, a.qrs, kp, a.Lk, a.krs, nullptr, nullptr, nullptr, 0, S, nullptr,
                               a.Lk, /*out_f32=*/true);
            if (rc == CALICO_OK) {
                for (int64_t r = 0; r < rows; r++) {
                    softmax_row(S + r * a.Lk, a.Lk, a.scale);
                    store_f32(a.dtype, S + r * a.Lk, a.Lk, P + r * a.Lk * es);
                }
                transpose_elems(vp, a.Lk, a.d, a.vrs, VT, a.Lk, es);
                rc = gemm_rows(a.dtype, P, rows, a.Lk, a.Lk, VT, a.d, a.Lk, nullptr, nullptr, nullptr, 0, op, nullptr,
                               a.ors);
            }
            if (rc != CALICO_OK) {
#pragma omp critical(calico_mha_tiles)
                rc_fail = rc;
            }
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "mha: out of memory for per-thread scratch");
    return rc_fail;
}

}  // namespace

#ifdef CALICO_WITH_CUDA
int mha_cuda(int device, int dtype, int64_t q, int64_t k, int64_t v, int64_t o, int64_t B, int64_t H, int64_t Lq, int64_t Lk,
             int64_t d, int64_t qbs, int64_t qrs, int64_t kbs, int64_t krs, int64_t vbs, int64_t vrs, int64_t obs,
             int64_t ors, float scale, int64_t workspace, int64_t workspace_bytes, int64_t stream);
int64_t mha_cuda_workspace_bytes(int device, int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t d);
#endif

}  // namespace calico

extern "C" int64_t calico_mha_workspace_bytes(int device, int64_t batch, int64_t heads, int64_t lq, int64_t lk,
                                              int64_t d) {
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::mha_cuda_workspace_bytes(device, batch, heads, lq, lk, d);
#endif
    (void)device, (void)batch, (void)heads, (void)lq, (void)lk, (void)d;
    return 0;
}

extern "C" int calico_mha(int device, int dtype, int64_t q, int64_t k, int64_t v, int64_t out, int64_t batch,
                          int64_t heads, int64_t lq, int64_t lk, int64_t d, int64_t q_bs, int64_t q_rs, int64_t k_bs,
                          int64_t k_rs, int64_t v_bs, int64_t v_rs, int64_t o_bs, int64_t o_rs, float scale,
                          int64_t workspace, int64_t workspace_bytes, int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    if (calico::dtype_size(dtype) == 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "mha: unsupported dtype code " + std::to_string(dtype));
    if (batch < 0 || heads <= 0 || lq < 0 || lk < 0 || d <= 0)
        return set_error(CALICO_ERR_ARG, "mha: bad sizes batch=" + std::to_string(batch) + " heads=" +
                                             std::to_string(heads) + " lq=" + std::to_string(lq) + " lk=" +
                                             std::to_string(lk) + " d=" + std::to_string(d));
    const int64_t w = heads * d;
    if (q_rs < w || k_rs < w || v_rs < w || o_rs < w || q_bs < 0 || k_bs < 0 || v_bs < 0 || o_bs < 0)
        return set_error(CALICO_ERR_ARG, "mha: row strides must be >= heads*d = " + std::to_string(w) +
                                             " and batch strides >= 0 (q_rs=" + std::to_string(q_rs) + " k_rs=" +
                                             std::to_string(k_rs) + " v_rs=" + std::to_string(v_rs) + " o_rs=" +
                                             std::to_string(o_rs) + ")");
    if (batch == 0 || lq == 0) return CALICO_OK;
    if (q == 0 || out == 0 || (lk > 0 && (k == 0 || v == 0)))
        return set_error(CALICO_ERR_ARG, "mha: null q, k, v or out address");
    if (!std::isfinite(scale)) return set_error(CALICO_ERR_ARG, "mha: scale is not finite");
    if (device == 0) {
        calico::MhaArgs a{dtype,
                          reinterpret_cast<const void*>(q),
                          reinterpret_cast<const void*>(k),
                          reinterpret_cast<const void*>(v),
                          reinterpret_cast<void*>(out),
                          batch, heads, lq, lk, d, q_bs, q_rs, k_bs, k_rs, v_bs, v_rs, o_bs, o_rs, scale};
        return lk > 0 && calico::mha_tiles_cover(a) ? calico::mha_tiles_cpu(a) : calico::mha_cpu(a);
    }
#ifdef CALICO_WITH_CUDA
    if (device >= 1)
        return calico::mha_cuda(device, dtype, q, k, v, out, batch, heads, lq, lk, d, q_bs, q_rs, k_bs, k_rs, v_bs, v_rs,
                                o_bs, o_rs, scale, workspace, workspace_bytes, stream);
#else
    (void)workspace, (void)workspace_bytes, (void)stream;
    if (device >= 1) return set_error(CALICO_ERR_NO_CUDA, "mha: library built without CUDA");
#endif
    return set_error(CALICO_ERR_ARG, "mha: unknown device " + std::to_string(device));
}
