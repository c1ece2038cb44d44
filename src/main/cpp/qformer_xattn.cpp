// qformer_xattn.cpp -- Q-Former cross-attention with the K and V projections folded into the queries and the
// attention output, CPU (F32: AVX-512F, BF16: AVX512-BF16; every product through gemm_rows).
//
// The composite projects every encoder token: K = enc Wk^T + bk and V = enc Wv^T + bv cost 2 * S * De * Dq
// multiply-adds per image (BLIP-2: 257 x 1408 x 768 x 2 = 556 M), for only Nq = 32 queries. Per head h (dh = Dq/H),
//   scores[i, j] = q_h[i] . (Wk_h enc[j] + bk_h) = (q_h[i] Wk_h) . enc[j] + q_h[i] . bk_h
// and the last term is the same for every key j, so it drops out of the softmax; and, the rows of P summing to 1,
//   out_h[i] = sum_j P[i, j] (Wv_h enc[j] + bv_h) = (sum_j P[i, j] enc[j]) Wv_h^T + bv_h.
// So the op runs as
//   q = hidden Wq^T + bq                                  [B*Nq, Dq]
//   Qk[b, h, i, :] = q[b, i, h*dh : +dh] Wk_h                [De]    (H products, K = dh, W = (Wk^T)[:, h*dh : +dh])
//   P[b, h*Nq + i, :] = softmax_j(scale * Qk[b, h, i] . enc[b, j])   (B products, W = enc[b] as it is stored)
//   PX[h, b, i, :] = P[b, h*Nq + i, :] enc[b]                 [De]    (B products, W = enc[b]^T, transposed once)
//   out[b, i, h*dh : +dh] = PX[h, b, i] Wv_h^T + bv_h                 (H products, W = rows of Wv)
// for 2 * Dq * Nq * De * (S + dh) / dh multiply-adds per image (BLIP-2: 347 M, 0.62x of the projections), which pays
// when Nq (S + dh) < dh S (the Java side decides, see NativeQFormerCrossAttention). Mathematically identical to the
// composite; in floating point the sums run in a different order (fp32 accumulation throughout, fp32 scores into
// the softmax as in the tile attention; BF16 rounds Qk, P and PX to bf16 where the composite rounds K, V, the scores
// and P).
// Buffers: the calling thread's scratch slot 10 (grows once, then reused).
#include <algorithm>
#include <string>
#include <vector>

#include "kernel_util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

int qformer_xattn_folded_cpu(int dtype, int64_t hidden, int64_t enc, int64_t wq, int64_t bq, int64_t wk_t, int64_t wv,
                             int64_t bv, int64_t out, int64_t B, int64_t Nq, int64_t Dq, int64_t S, int64_t De,
                             int64_t H) {
    const int64_t es = dtype_size(dtype), dh = Dq / H;
    auto align = [](int64_t bytes) { return (bytes + 63) / 64 * 64; };
    const int64_t q_bytes = align(B * Nq * Dq * es), big_bytes = align(B * H * Nq * De * es),
                  p_bytes = align(B * H * Nq * S * es), t_bytes = align(De * S * es),
                  s_bytes = es == 4 ? 0 : align(B * H * Nq * S * 4);
    char* base = reinterpret_cast<char*>(
        thread_scratch(10, static_cast<size_t>((q_bytes + big_bytes + p_bytes + t_bytes + s_bytes) / 4)));
    if (!base) return set_error(CALICO_ERR_ARG, "qformer_xattn_folded: out of memory for scratch");
    char* q = base;
    char* big = q + q_bytes;  // Qk [B, H, Nq, De], later PX [H, B, Nq, De]
    char* P = big + big_bytes;  // [B, H * Nq, S]
    char* XT = P + p_bytes;   // enc[b]^T [De, S]
    float* scores = reinterpret_cast<float*>(es == 4 ? P : XT + t_bytes);  // fp32 [B, H * Nq, S] (P itself for F32)
    const char* E = reinterpret_cast<const char*>(enc);
    auto v = [](const char* p) { return reinterpret_cast<const void*>(p); };

    // q = hidden Wq^T + bq
    int rc = gemm_rows(dtype, reinterpret_cast<const void*>(hidden), B * Nq, Dq, Dq, reinterpret_cast<const void*>(wq),
                       Dq, Dq, reinterpret_cast<const void*>(bq), nullptr, nullptr, 0, q, nullptr, Dq);
    if (rc != CALICO_OK) return rc;
    std::vector<int64_t> rows(static_cast<size_t>(std::max(B, H) * Nq));
    // Qk[b, h, i] = q[b, i, h] Wk_h, for each head: rows (b, i) -> (b*H + h)*Nq + i
    for (int64_t h = 0; h < H; h++) {
        for (int64_t m = 0; m < B * Nq; m++) rows[m] = ((m / Nq) * H + h) * Nq + m % Nq;
        rc = gemm_rows(dtype, v(q + h * dh * es), B * Nq, dh, Dq, reinterpret_cast<const void*>(
                           reinterpret_cast<const char*>(wk_t) + h * dh * es), De, Dq,
                       nullptr, nullptr, nullptr, 0, big, rows.data(), De);
        if (rc != CALICO_OK) return rc;
    }
    // scores[b, (h, i), j] = Qk[b, h, i] . enc[b, j], kept in fp32
    for (int64_t b = 0; b < B; b++) {
        rc = gemm_rows(dtype, v(big + b * H * Nq * De * es), H * Nq, De, De, v(E + b * S * De * es), S, De, nullptr,
                       nullptr, nullptr, 0, scores + b * H * Nq * S, nullptr, S, /*out_f32=*/true);
        if (rc != CALICO_OK) return rc;
    }
    // P = softmax(scale * scores) over the keys, in fp32, rounded once to the dtype
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
#pragma omp parallel for num_threads(kernel_threads()) schedule(static) if (B * H * Nq * S > 65536)
    for (int64_t r = 0; r < B * H * Nq; r++) {
        float* row = scores + r * S;
        softmax_row(row, S, scale);
        if (es != 4) store_f32(dtype, row, S, P + r * S * es);
    }
    // PX[h, b, i] = P[b, (h, i)] enc[b]: rows (h, i) -> (h*B + b)*Nq + i
    for (int64_t b = 0; b < B; b++) {
        transpose_elems(E + b * S * De * es, S, De, De, XT, S, es);
        for (int64_t m = 0; m < H * Nq; m++) rows[m] = ((m / Nq) * B + b) * Nq + m % Nq;
        rc = gemm_rows(dtype, v(P + b * H * Nq * S * es), H * Nq, S, S, v(XT), De, S, nullptr, nullptr, nullptr, 0, big,
                       rows.data(), De);
        if (rc != CALICO_OK) return rc;
    }
    // out[b, i, h*dh : +dh] = PX[h, b, i] Wv_h^T + bv_h
    for (int64_t h = 0; h < H; h++) {
        rc = gemm_rows(dtype, v(big + h * B * Nq * De * es), B * Nq, De, De,
                       reinterpret_cast<const void*>(reinterpret_cast<const char*>(wv) + h * dh * De * es), dh, De,
                       reinterpret_cast<const void*>(reinterpret_cast<const char*>(bv) + h * dh * es), nullptr, nullptr,
                       0, reinterpret_cast<char*>(out) + h * dh * es, nullptr, Dq);
        if (rc != CALICO_OK) return rc;
    }
    return CALICO_OK;
}

}  // namespace calico

extern "C" int calico_qformer_xattn_folded_available(int device, int dtype) {
    return device == 0 && calico::gemm_rows_available(dtype) ? 1 : 0;
}

extern "C" int calico_qformer_xattn_folded(int device, int dtype, int64_t hidden, int64_t encoder, int64_t wq,
                                           int64_t bq, int64_t wk_t, int64_t wv, int64_t bv, int64_t out,
                                           int64_t batch, int64_t nq, int64_t dq, int64_t seq, int64_t de,
                                           int64_t heads, int64_t stream) {
    calico::clear_error();
    using calico::set_error;
    (void)stream;
    if (device != 0)
        return set_error(CALICO_ERR_UNSUPPORTED, "qformer_xattn_folded: CPU only (device " + std::to_string(device) + ")");
    if (batch < 0 || nq <= 0 || dq <= 0 || seq <= 0 || de <= 0 || heads <= 0 || dq % heads != 0)
        return set_error(CALICO_ERR_ARG, "qformer_xattn_folded: bad sizes batch=" + std::to_string(batch) + " nq=" +
                                             std::to_string(nq) + " dq=" + std::to_string(dq) + " seq=" +
                                             std::to_string(seq) + " de=" + std::to_string(de) + " heads=" +
                                             std::to_string(heads));
    if (batch == 0) return CALICO_OK;
    if (!hidden || !encoder || !wq || !bq || !wk_t || !wv || !bv || !out)
        return set_error(CALICO_ERR_ARG, "qformer_xattn_folded: null address");
    if (!calico::gemm_rows_available(dtype))
        return set_error(CALICO_ERR_UNSUPPORTED, "qformer_xattn_folded: needs F32 on an AVX-512 CPU or BF16 on an "
                                                 "AVX512-BF16 CPU (dtype code " + std::to_string(dtype) + ")");
    return calico::qformer_xattn_folded_cpu(dtype, hidden, encoder, wq, bq, wk_t, wv, bv, out, batch, nq, dq, seq, de,
                                            heads);
}
