// cam.cpp -- the two native stages of CALICO's Correspondence Adaptation Module (VPG-C style, spec §5/§7), CPU.
//
// adapt:       out[b, n, :] = queries[n, :] + ba + Wa @ hidden[b, last_idx[b], :]
//              (gather + one pass over Wa for all batch rows + bias + broadcast add, one call)
// scatter_add: out[b, l, :] = hidden[b, l, :] + sum_{images j on row b whose span covers l} proj[j, l - s_j, :]
//              (proj = x Wr^T + br comes from one GEMM for all images; this pass fuses the copy of hidden with the
//              scatter-add, or touches only the span rows when out == hidden)
#include <algorithm>
#include <string>

#include "kernel_util.h"

// GCC 12 reports maybe-uninitialized inside its own AVX-512 intrinsics when vectorising the 8-lane blocks below
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

constexpr int kRowsPerTask = 16;  // rows of Wa per task: 16 x D fp32 stays in L2 while every batch row uses it

// out[i] = <w, h_i> for 4 vectors h0..h3 of length n (16 partial sums per vector, then reduced).
CALICO_KERNEL_CLONES
void dot4(const float* __restrict w, const float* __restrict h0, const float* __restrict h1,
          const float* __restrict h2, const float* __restrict h3, int64_t n, float* __restrict out) {
    float a0[16], a1[16], a2[16], a3[16];
    for (int t = 0; t < 16; t++) a0[t] = a1[t] = a2[t] = a3[t] = 0.f;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        for (int t = 0; t < 16; t++) {
            const float wv = w[c + t];
            a0[t] += wv * h0[c + t];
            a1[t] += wv * h1[c + t];
            a2[t] += wv * h2[c + t];
            a3[t] += wv * h3[c + t];
        }
    }
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (; c < n; c++) {
        s0 += w[c] * h0[c];
        s1 += w[c] * h1[c];
        s2 += w[c] * h2[c];
        s3 += w[c] * h3[c];
    }
    for (int t = 0; t < 16; t++) {
        s0 += a0[t];
        s1 += a1[t];
        s2 += a2[t];
        s3 += a3[t];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

// As dot4 with bf16 weights converted in registers (no fp32 copy of the weight matrix).
CALICO_KERNEL_CLONES
void dot4_bf16(const uint16_t* __restrict w, const float* __restrict h0, const float* __restrict h1,
               const float* __restrict h2, const float* __restrict h3, int64_t n, float* __restrict out) {
    float a0[16], a1[16], a2[16], a3[16];
    for (int t = 0; t < 16; t++) a0[t] = a1[t] = a2[t] = a3[t] = 0.f;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        for (int t = 0; t < 16; t++) {
            const uint32_t u = static_cast<uint32_t>(w[c + t]) << 16;
            float wv;
            std::memcpy(&wv, &u, 4);
            a0[t] += wv * h0[c + t];
            a1[t] += wv * h1[c + t];
            a2[t] += wv * h2[c + t];
            a3[t] += wv * h3[c + t];
        }
    }
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (; c < n; c++) {
        const float wv = bf16_to_f32(w[c]);
        s0 += wv * h0[c];
        s1 += wv * h1[c];
        s2 += wv * h2[c];
        s3 += wv * h3[c];
    }
    for (int t = 0; t < 16; t++) {
        s0 += a0[t];
        s1 += a1[t];
        s2 += a2[t];
        s3 += a3[t];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

// Two weight rows against four hidden rows, 8-lane partial sums: each hidden element loaded once serves two
// weight rows (halves the L2 traffic of the gathered hidden rows, the bottleneck of this GEMV). W = float or
// bf16 bits; out[i*4 + b] = <w_i, h_b>.
template <typename W>
inline float wload(const W* p, int64_t i);
template <>
inline float wload<float>(const float* p, int64_t i) { return p[i]; }
template <>
inline float wload<uint16_t>(const uint16_t* p, int64_t i) {
    const uint32_t u = static_cast<uint32_t>(p[i]) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

#define CALICO_DOT2X4_BODY(W)                                                                                       \
    float acc[2][4][8];                                                                                             \
    for (int i = 0; i < 2; i++)                                                                                     \
        for (int b = 0; b < 4; b++)                                                                                 \
            for (int t = 0; t < 8; t++) acc[i][b][t] = 0.f;                                                         \
    int64_t c = 0;                                                                                                  \
    for (; c + 8 <= n; c += 8) {                                                                                    \
        float w0[8], w1[8];                                                                                         \
        for (int t = 0; t < 8; t++) {                                                                               \
            w0[t] = wload<W>(wa, c + t);                                                                            \
            w1[t] = wload<W>(wb, c + t);                                                                            \
        }                                                                                                           \
        for (int t = 0; t < 8; t++) {                                                                               \
            const float x0 = h0[c + t], x1 = h1[c + t], x2 = h2[c + t], x3 = h3[c + t];                             \
            acc[0][0][t] += w0[t] * x0;                                                                             \
            acc[0][1][t] += w0[t] * x1;                                                                             \
            acc[0][2][t] += w0[t] * x2;                                                                             \
            acc[0][3][t] += w0[t] * x3;                                                                             \
            acc[1][0][t] += w1[t] * x0;                                                                             \
            acc[1][1][t] += w1[t] * x1;                                                                             \
            acc[1][2][t] += w1[t] * x2;                                                                             \
            acc[1][3][t] += w1[t] * x3;                                                                             \
        }                                                                                                           \
    }                                                                                                               \
    for (int i = 0; i < 2; i++)                                                                                     \
        for (int b = 0; b < 4; b++) {                                                                               \
            float sum = 0.f;                                                                                        \
            for (int t = 0; t < 8; t++) sum += acc[i][b][t];                                                        \
            out[i * 4 + b] = sum;                                                                                   \
        }                                                                                                           \
    for (; c < n; c++) {                                                                                            \
        const float a = wload<W>(wa, c), bb = wload<W>(wb, c);                                                      \
        out[0] += a * h0[c];                                                                                        \
        out[1] += a * h1[c];                                                                                        \
        out[2] += a * h2[c];                                                                                        \
        out[3] += a * h3[c];                                                                                        \
        out[4] += bb * h0[c];                                                                                       \
        out[5] += bb * h1[c];                                                                                       \
        out[6] += bb * h2[c];                                                                                       \
        out[7] += bb * h3[c];                                                                                       \
    }

CALICO_KERNEL_CLONES
void dot2x4_f32(const float* __restrict wa, const float* __restrict wb, const float* __restrict h0,
                const float* __restrict h1, const float* __restrict h2, const float* __restrict h3, int64_t n,
                float* __restrict out) {
    CALICO_DOT2X4_BODY(float)
}

CALICO_KERNEL_CLONES
void dot2x4_bf16(const uint16_t* __restrict wa, const uint16_t* __restrict wb, const float* __restrict h0,
                 const float* __restrict h1, const float* __restrict h2, const float* __restrict h3, int64_t n,
                 float* __restrict out) {
    CALICO_DOT2X4_BODY(uint16_t)
}

CALICO_KERNEL_CLONES
void add_rows(float* __restrict acc, const float* __restrict x, int64_t n) {
    for (int64_t c = 0; c < n; c++) acc[c] += x[c];
}

CALICO_KERNEL_CLONES
void add3_f32(float* __restrict out, const float* __restrict a, const float* __restrict b, int64_t n) {
    for (int64_t c = 0; c < n; c++) out[c] = a[c] + b[c];
}

}  // namespace

int cam_adapt_cpu(int dtype, int64_t hidden, const int64_t* last_idx, int64_t wa, int64_t ba, int64_t queries,
                  int64_t out, int64_t B, int64_t L, int64_t D, int64_t Dq, int64_t Nq, int64_t hbs, int64_t hrs) {
    const int64_t es = dtype_size(dtype);
    for (int64_t b = 0; b < B; b++)
        if (last_idx[b] < 0 || last_idx[b] >= L)
            return set_error(CALICO_ERR_ARG, "cam_adapt: last_idx[" + std::to_string(b) + "] = " +
                                                 std::to_string(last_idx[b]) + " outside [0, " + std::to_string(L) + ")");
    const int64_t B4 = (B + 3) / 4 * 4;
    // gathered hidden rows in fp32 (shared by all threads; the calling thread is the team's master)
    float* hrows = thread_scratch(7, static_cast<size_t>(B4 * D + B * Dq));
    if (!hrows) return set_error(CALICO_ERR_ARG, "cam_adapt: out of memory for scratch");
    float* proj = hrows + B4 * D;
    for (int64_t b = 0; b < B; b++)
        load_f32(dtype, reinterpret_cast<const char*>(hidden) + (b * hbs + last_idx[b] * hrs) * es, D, hrows + b * D);
    for (int64_t b = B; b < B4; b++) std::memcpy(hrows + b * D, hrows, static_cast<size_t>(D) * 4);

    const int64_t ntask = (Dq + kRowsPerTask - 1) / kRowsPerTask;
    const char* W = reinterpret_cast<const char*>(wa);
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (Dq * D * B > 65536)
    {
        float* wrow = dtype == CALICO_F16 ? thread_scratch(0, static_cast<size_t>(kRowsPerTask) * D) : nullptr;
        float* brow = thread_scratch(1, kRowsPerTask);
        if ((dtype == CALICO_F16 && !wrow) || !brow) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < ntask; t++) {
            if ((dtype == CALICO_F16 && !wrow) || !brow) continue;
            const int64_t o0 = t * kRowsPerTask;
            const int nrows = static_cast<int>(std::min<int64_t>(kRowsPerTask, Dq - o0));
            const float* w32 = nullptr;
            const uint16_t* wb16 = nullptr;
            if (dtype == CALICO_F32) {
                w32 = reinterpret_cast<const float*>(W) + o0 * D;
            } else if (dtype == CALICO_BF16) {
                wb16 = reinterpret_cast<const uint16_t*>(W) + o0 * D;
            } else {
                load_f32(dtype, W + o0 * D * es, nrows * D, wrow);
                w32 = wrow;
            }
            load_f32(dtype, reinterpret_cast<const char*>(ba) + o0 * es, nrows, brow);
            int r = 0;
            for (; r + 2 <= nrows; r += 2) {
                for (int64_t b = 0; b < B; b += 4) {
                    float s8[8];
                    const float *g0 = hrows + b * D, *g1 = g0 + D, *g2 = g1 + D, *g3 = g2 + D;
                    if (wb16)
                        dot2x4_bf16(wb16 + r * D, wb16 + (r + 1) * D, g0, g1, g2, g3, D, s8);
                    else
                        dot2x4_f32(w32 + r * D, w32 + (r + 1) * D, g0, g1, g2, g3, D, s8);
                    for (int i = 0; i < 4 && b + i < B; i++) {
                        proj[(b + i) * Dq + o0 + r] = brow[r] + s8[i];
                        proj[(b + i) * Dq + o0 + r + 1] = brow[r + 1] + s8[4 + i];
                    }
                }
            }
            for (; r < nrows; r++) {
                for (int64_t b = 0; b < B; b += 4) {
                    float s[4];
                    if (wb16)
                        dot4_bf16(wb16 + r * D, hrows + b * D, hrows + (b + 1) * D, hrows + (b + 2) * D,
                                  hrows + (b + 3) * D, D, s);
                    else
                        dot4(w32 + r * D, hrows + b * D, hrows + (b + 1) * D, hrows + (b + 2) * D, hrows + (b + 3) * D,
                             D, s);
                    for (int i = 0; i < 4 && b + i < B; i++) proj[(b + i) * Dq + o0 + r] = brow[r] + s[i];
                }
            }
        }
        // implicit barrier: proj complete
        float* qrow = thread_scratch(2, static_cast<size_t>(2 * Dq));
        if (!qrow) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t bn = 0; bn < B * Nq; bn++) {
            if (!qrow) continue;
            const int64_t b = bn / Nq, n = bn % Nq;
            load_f32(dtype, reinterpret_cast<const char*>(queries) + n * Dq * es, Dq, qrow);
            add3_f32(qrow + Dq, qrow, proj + b * Dq, Dq);
            store_f32(dtype, qrow + Dq, Dq, reinterpret_cast<char*>(out) + bn * Dq * es);
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "cam_adapt: out of memory for per-thread scratch");
    return CALICO_OK;
}

int cam_scatter_add_cpu(int dtype, int64_t hidden, int64_t out, int64_t proj, const int64_t* spans, int64_t B,
                        int64_t L, int64_t D, int64_t nimg, int64_t nq) {
    const int64_t es = dtype_size(dtype);
    for (int64_t j = 0; j < nimg; j++) {
        const int64_t b = spans[2 * j], s = spans[2 * j + 1];
        if (b < 0 || b >= B || s < 0 || s + nq > L)
            return set_error(CALICO_ERR_ARG, "cam_scatter_add: span " + std::to_string(j) + " (row " +
                                                 std::to_string(b) + ", start " + std::to_string(s) + ", length " +
                                                 std::to_string(nq) + ") outside hidden [" + std::to_string(B) +
                                                 ", " + std::to_string(L) + "]");
    }
    const bool inplace = hidden == out;
    const char* H = reinterpret_cast<const char*>(hidden);
    const char* P = reinterpret_cast<const char*>(proj);
    char* O = reinterpret_cast<char*>(out);
    const int64_t rows = B * L;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (rows * D > 65536)
    {
        float* acc = thread_scratch(0, static_cast<size_t>(2 * D));
        if (!acc) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; r++) {
            if (!acc) continue;
            const int64_t b = r / L, l = r % L;
            if (dtype == CALICO_F32) {
                // common case: one span covers the row -> a single pass out = hidden + proj
                int64_t only = -1, count = 0;
                for (int64_t j = 0; j < nimg; j++) {
                    const int64_t st = spans[2 * j + 1];
                    if (spans[2 * j] == b && l >= st && l < st + nq) {
                        only = j;
                        count++;
                    }
                }
                if (count == 1) {
                    const int64_t st = spans[2 * only + 1];
                    const float* prow = reinterpret_cast<const float*>(P) + (only * nq + (l - st)) * D;
                    if (inplace)  // out aliases hidden: accumulate in place
                        add_rows(reinterpret_cast<float*>(O) + r * D, prow, D);
                    else
                        add3_f32(reinterpret_cast<float*>(O) + r * D, reinterpret_cast<const float*>(H) + r * D, prow, D);
                    continue;
                }
                if (count == 0) {
                    if (!inplace) std::memcpy(O + r * D * es, H + r * D * es, static_cast<size_t>(D * es));
                    continue;
                }
            }
            int hits = 0;
            for (int64_t j = 0; j < nimg; j++) {
                const int64_t s = spans[2 * j];
                const int64_t st = spans[2 * j + 1];
                if (s != b || l < st || l >= st + nq) continue;
                const char* prow = P + (j * nq + (l - st)) * D * es;
                if (hits == 0) load_f32(dtype, H + r * D * es, D, acc);
                if (dtype == CALICO_F32) {
                    add_rows(acc, reinterpret_cast<const float*>(prow), D);
                } else {
                    load_f32(dtype, prow, D, acc + D);
                    add_rows(acc, acc + D, D);
                }
                hits++;
            }
            if (hits > 0)
                store_f32(dtype, acc, D, O + r * D * es);
            else if (!inplace)
                std::memcpy(O + r * D * es, H + r * D * es, static_cast<size_t>(D * es));
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "cam_scatter_add: out of memory for per-thread scratch");
    return CALICO_OK;
}

#ifdef CALICO_WITH_CUDA
int cam_adapt_cuda(int device, int dtype, int64_t hidden, int64_t last_idx, int64_t wa, int64_t ba, int64_t queries, int64_t out,
                   int64_t B, int64_t L, int64_t D, int64_t Dq, int64_t Nq, int64_t hbs, int64_t hrs, int64_t stream);
int cam_scatter_add_cuda(int device, int dtype, int64_t hidden, int64_t out, int64_t proj, int64_t spans, int64_t B, int64_t L,
                         int64_t D, int64_t nimg, int64_t nq, int64_t stream);
#endif

}  // namespace calico

extern "C" int calico_cam_adapt(int device, int dtype, int64_t hidden, int64_t last_idx, int64_t wa, int64_t ba,
                                int64_t queries, int64_t out, int64_t batch, int64_t seq, int64_t dim, int64_t dq,
                                int64_t nq, int64_t h_bs, int64_t h_rs, int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    if (calico::dtype_size(dtype) == 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "cam_adapt: unsupported dtype code " + std::to_string(dtype));
    if (batch < 0 || seq <= 0 || dim <= 0 || dq <= 0 || nq <= 0 || h_rs < dim || h_bs < 0)
        return set_error(CALICO_ERR_ARG, "cam_adapt: bad sizes batch=" + std::to_string(batch) + " seq=" +
                                             std::to_string(seq) + " dim=" + std::to_string(dim) + " dq=" +
                                             std::to_string(dq) + " nq=" + std::to_string(nq));
    if (batch == 0) return CALICO_OK;
    if (!hidden || !last_idx || !wa || !ba || !queries || !out)
        return set_error(CALICO_ERR_ARG, "cam_adapt: null address");
    if (device == 0)
        return calico::cam_adapt_cpu(dtype, hidden, reinterpret_cast<const int64_t*>(last_idx), wa, ba, queries, out,
                                     batch, seq, dim, dq, nq, h_bs, h_rs);
#ifdef CALICO_WITH_CUDA
    if (device >= 1)
        return calico::cam_adapt_cuda(device, dtype, hidden, last_idx, wa, ba, queries, out, batch, seq, dim, dq, nq, h_bs,
                                      h_rs, stream);
#else
    (void)stream;
    if (device >= 1) return set_error(CALICO_ERR_NO_CUDA, "cam_adapt: library built without CUDA");
#endif
    return set_error(CALICO_ERR_ARG, "cam_adapt: unknown device " + std::to_string(device));
}

extern "C" int calico_cam_scatter_add(int device, int dtype, int64_t hidden, int64_t out, int64_t proj, int64_t spans,
                                      int64_t batch, int64_t seq, int64_t dim, int64_t n_img, int64_t nq,
                                      int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    if (calico::dtype_size(dtype) == 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "cam_scatter_add: unsupported dtype code " + std::to_string(dtype));
    if (batch < 0 || seq < 0 || dim <= 0 || n_img < 0 || nq <= 0)
        return set_error(CALICO_ERR_ARG, "cam_scatter_add: bad sizes batch=" + std::to_string(batch) + " seq=" +
                                             std::to_string(seq) + " dim=" + std::to_string(dim) + " n_img=" +
                                             std::to_string(n_img) + " nq=" + std::to_string(nq));
    if (batch * seq == 0) return CALICO_OK;
    if (!hidden || !out || (n_img > 0 && (!proj || !spans)))
        return set_error(CALICO_ERR_ARG, "cam_scatter_add: null address");
    if (device == 0)
        return calico::cam_scatter_add_cpu(dtype, hidden, out, proj, reinterpret_cast<const int64_t*>(spans), batch,
                                           seq, dim, n_img, nq);
#ifdef CALICO_WITH_CUDA
    if (device >= 1)
        return calico::cam_scatter_add_cuda(device, dtype, hidden, out, proj, spans, batch, seq, dim, n_img, nq, stream);
#else
    (void)stream;
    if (device >= 1) return set_error(CALICO_ERR_NO_CUDA, "cam_scatter_add: library built without CUDA");
#endif
    return set_error(CALICO_ERR_ARG, "cam_scatter_add: unknown device " + std::to_string(device));
}
