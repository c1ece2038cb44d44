// cam.cpp -- the two native stages of CALICO's Correspondence Adaptation Module (VPG-C style, spec §5/§7), CPU.
//
// adapt:       out[b, n, :] = queries[n, :] + ba + Wa @ hidden[b, last_idx[b], :]
//              (gather + the skinny GEMM's row kernel over Wa, one pass per 8 batch rows, + bias + broadcast add,
//              one call)
// scatter_add: out[b, l, :] = hidden[b, l, :] + sum_{images j on row b whose span covers l} proj[j, l - s_j, :]
//              (proj = x Wr^T + br comes from one GEMM for all images; this pass fuses the copy of hidden with the
//              scatter-add, or touches only the span rows when out == hidden)
// reintegrate_fused: the same without proj in memory, for spans that do not overlap: gemm_rows (gemm_rows.cpp)
//              writes hidden row + br + x Wr^T straight into each span row (F32 / BF16 on AVX-512 CPUs)
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_util.h"

// GCC 12 reports maybe-uninitialized inside its own AVX-512 intrinsics when vectorising the 8-lane blocks below
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

constexpr int kRowsPerTask = 16;  // rows of Wa per task: 16 x D stays in L2 while every batch row uses it

/** Every span (row, start) of length nq inside hidden [B, L]; with no_overlap, no two spans of a row intersect. */
int check_spans(const char* op, const int64_t* spans, int64_t nimg, int64_t nq, int64_t B, int64_t L, bool no_overlap) {
    for (int64_t j = 0; j < nimg; j++) {
        const int64_t b = spans[2 * j], s = spans[2 * j + 1];
        if (b < 0 || b >= B || s < 0 || s + nq > L)
            return set_error(CALICO_ERR_ARG, std::string(op) + ": span " + std::to_string(j) + " (row " +
                                                 std::to_string(b) + ", start " + std::to_string(s) + ", length " +
                                                 std::to_string(nq) + ") outside hidden [" + std::to_string(B) +
                                                 ", " + std::to_string(L) + "]");
        for (int64_t i = 0; no_overlap && i < j; i++)
            if (spans[2 * i] == b && spans[2 * i + 1] < s + nq && s < spans[2 * i + 1] + nq)
                return set_error(CALICO_ERR_ARG, std::string(op) + ": spans " + std::to_string(i) + " and " +
                                                     std::to_string(j) + " overlap (use calico_cam_scatter_add)");
    }
    return CALICO_OK;
}

CALICO_SIMD_CLONES
void add_rows(float* __restrict acc, const float* __restrict x, int64_t n) {
    for (int64_t c = 0; c < n; c++) acc[c] += x[c];
}

CALICO_SIMD_CLONES
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
    // gathered hidden rows, shared by all threads (the calling thread is the team's master): in fp32, or as they are
    // where the skinny kernel's VDPBF16PS path reads bf16 rows (BF16 on AVX512-BF16 CPUs)
    const bool direct = skinny_reads_bf16_x(dtype);
    float* proj = thread_scratch(7, static_cast<size_t>(B * Dq + (direct ? (B * D + 1) / 2 : B * D)));
    if (!proj) return set_error(CALICO_ERR_ARG, "cam_adapt: out of memory for scratch");
    float* hrows = direct ? nullptr : proj + B * Dq;
    uint16_t* hb = direct ? reinterpret_cast<uint16_t*>(proj + B * Dq) : nullptr;
    for (int64_t b = 0; b < B; b++) {
        const char* src = reinterpret_cast<const char*>(hidden) + (b * hbs + last_idx[b] * hrs) * es;
        if (direct) std::memcpy(hb + b * D, src, static_cast<size_t>(D) * 2);
        else load_f32(dtype, src, D, hrows + b * D);
    }

    // proj = hidden_rows Wa^T + ba: the skinny GEMM's row kernel (weights streamed once, bf16/f16 converted in
    // registers), up to kSkinnyMaxRows batch rows per weight pass, kRowsPerTask weight rows per task
    const int64_t ntask = (Dq + kRowsPerTask - 1) / kRowsPerTask;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (Dq * D * B > 65536)
    {
        float* brow = thread_scratch(1, kRowsPerTask);
        if (!brow) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < ntask; t++) {
            if (!brow) continue;
            const int64_t o0 = t * kRowsPerTask;
            const int nrows = static_cast<int>(std::min<int64_t>(kRowsPerTask, Dq - o0));
            load_f32(dtype, reinterpret_cast<const char*>(ba) + o0 * es, nrows, brow);
            for (int64_t b0 = 0; b0 < B; b0 += kSkinnyMaxRows) {
                const int m = static_cast<int>(std::min<int64_t>(kSkinnyMaxRows, B - b0));
                float acc[kSkinnyMaxRows * kRowsPerTask];
                skinny_rows(dtype, reinterpret_cast<const void*>(wa), hrows ? hrows + b0 * D : nullptr, acc, o0,
                            o0 + nrows, D, m, hb ? hb + b0 * D : nullptr);
                for (int i = 0; i < m; i++)
                    for (int r = 0; r < nrows; r++) proj[(b0 + i) * Dq + o0 + r] = brow[r] + acc[i * nrows + r];
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
    if (int rc = check_spans("cam_scatter_add", spans, nimg, nq, B, L, false); rc != CALICO_OK) return rc;
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

int cam_reintegrate_fused_cpu(int dtype, int64_t hidden, int64_t out, int64_t x, int64_t wr, int64_t br,
                              const int64_t* spans, int64_t B, int64_t L, int64_t D, int64_t nimg, int64_t nq,
                              int64_t dq) {
    if (int rc = check_spans("cam_reintegrate_fused", spans, nimg, nq, B, L, true); rc != CALICO_OK) return rc;
    const int64_t es = dtype_size(dtype);
    const char* H = reinterpret_cast<const char*>(hidden);
    char* O = reinterpret_cast<char*>(out);
    if (hidden != out) {  // rows no image covers: plain copy
#pragma omp parallel for num_threads(kernel_threads()) schedule(static) if (B * L * D > 65536)
        for (int64_t r = 0; r < B * L; r++) {
            const int64_t b = r / L, l = r % L;
            bool covered = false;
            for (int64_t j = 0; j < nimg && !covered; j++)
                covered = spans[2 * j] == b && l >= spans[2 * j + 1] && l < spans[2 * j + 1] + nq;
            if (!covered) std::memcpy(O + r * D * es, H + r * D * es, static_cast<size_t>(D * es));
        }
    }
    // output row m = (image j, query q) -> hidden row spans[j].row * L + spans[j].start + q
    std::vector<int64_t> rows(static_cast<size_t>(nimg * nq));
    for (int64_t m = 0; m < nimg * nq; m++) rows[m] = spans[2 * (m / nq)] * L + spans[2 * (m / nq) + 1] + m % nq;
    return gemm_rows(dtype, reinterpret_cast<const void*>(x), nimg * nq, dq, dq, reinterpret_cast<const void*>(wr), D, dq,
                     reinterpret_cast<const void*>(br), H, rows.data(), D, O, rows.data(), D);
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

extern "C" int calico_cam_reintegrate_fused_available(int device, int dtype) {
    return device == 0 && calico::gemm_rows_available(dtype) ? 1 : 0;
}

extern "C" int calico_cam_reintegrate_fused(int device, int dtype, int64_t hidden, int64_t out, int64_t x, int64_t wr,
                                            int64_t br, int64_t spans, int64_t batch, int64_t seq, int64_t dim,
                                            int64_t n_img, int64_t nq, int64_t dq, int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    (void)stream;
    if (device != 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "cam_reintegrate_fused: CPU only (device " + std::to_string(device) +
                                                     "); use addmm + calico_cam_scatter_add");
    if (batch < 0 || seq < 0 || dim <= 0 || n_img < 0 || nq <= 0 || dq <= 0)
        return set_error(CALICO_ERR_ARG, "cam_reintegrate_fused: bad sizes batch=" + std::to_string(batch) + " seq=" +
                                             std::to_string(seq) + " dim=" + std::to_string(dim) + " n_img=" +
                                             std::to_string(n_img) + " nq=" + std::to_string(nq) + " dq=" +
                                             std::to_string(dq));
    if (batch * seq == 0) return CALICO_OK;
    if (!hidden || !out || (n_img > 0 && (!x || !wr || !br || !spans)))
        return set_error(CALICO_ERR_ARG, "cam_reintegrate_fused: null address");
    if (!calico::gemm_rows_available(dtype))
        return set_error(CALICO_ERR_UNSUPPORTED, "cam_reintegrate_fused: needs F32 on an AVX-512 CPU or BF16 on an "
                                                 "AVX512-BF16 CPU (dtype code " + std::to_string(dtype) + ")");
    if (n_img == 0) {
        if (hidden != out)
            std::memcpy(reinterpret_cast<void*>(out), reinterpret_cast<const void*>(hidden),
                        static_cast<size_t>(batch * seq * dim * calico::dtype_size(dtype)));
        return CALICO_OK;
    }
    return calico::cam_reintegrate_fused_cpu(dtype, hidden, out, x, wr, br, reinterpret_cast<const int64_t*>(spans),
                                             batch, seq, dim, n_img, nq, dq);
}
