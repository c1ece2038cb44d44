// emu_test.cpp -- CI check of the CUDA kernels' LOGIC without a GPU: every kernel runs twice on the same random
// inputs, once through its C++ CPU implementation (device 0) and once through its CUDA implementation compiled
// against the CPU emulation of cuda_emu.h (device 1), and the outputs are compared. Built by CMake as
// target/native/calico_cuda_emu_test (see cmake/CalicoCudaEmu.cmake); CudaEmulationTest runs it. The CPU-only kernels
// (calico_linear, the folded Q-Former, the fused CAM reintegration) are checked against naive references at the end,
// so that the sanitizer builds of this driver (sanitize.sh, CudaEmulationSanitizerTest) cover them as well.
//
// Tolerances: fp32 |a-b| <= 2e-5 + 2e-4 |a| (different summation orders and exp/erf implementations); bf16/f16
// outputs are rounded from slightly different fp32 values, so one or two units in the last place: bf16
// 2e-2 + 1.6e-2 |a|, f16 2e-3 + 2e-3 |a|.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "calico_kernels.h"
#include "common.h"

namespace {

int g_failures = 0, g_cases = 0;

struct Buf {
    int dtype;
    std::vector<uint16_t> h;
    std::vector<float> f;
    explicit Buf(int dt, size_t n) : dtype(dt) {
        if (dt == CALICO_F32) f.assign(n, 0.f); else h.assign(n, 0);
    }
    int64_t addr() { return dtype == CALICO_F32 ? reinterpret_cast<int64_t>(f.data()) : reinterpret_cast<int64_t>(h.data()); }
    size_t size() const { return dtype == CALICO_F32 ? f.size() : h.size(); }
    float get(size_t i) const {
        if (dtype == CALICO_F32) return f[i];
        return dtype == CALICO_BF16 ? calico::bf16_to_f32(h[i]) : calico::f16_to_f32(h[i]);
    }
    void set(size_t i, float v) {
        if (dtype == CALICO_F32) f[i] = v;
        else h[i] = dtype == CALICO_BF16 ? calico::f32_to_bf16(v) : calico::f32_to_f16(v);
    }
};

std::mt19937 g_rng(1234);

Buf rnd(int dt, size_t n, float scale = 1.f, float shift = 0.f) {
    std::normal_distribution<float> nd;
    Buf b(dt, n);
    for (size_t i = 0; i < n; i++) b.set(i, nd(g_rng) * scale + shift);
    return b;
}

const char* dname(int dt) { return dt == CALICO_F32 ? "f32" : dt == CALICO_BF16 ? "bf16" : "f16"; }

void compare(const std::string& what, int dt, const Buf& cpu, const Buf& emu) {
    g_cases++;
    const double atol = dt == CALICO_F32 ? 2e-5 : dt == CALICO_BF16 ? 2e-2 : 2e-3;
    const double rtol = dt == CALICO_F32 ? 2e-4 : dt == CALICO_BF16 ? 1.6e-2 : 2e-3;
    double worst = 0, maxabs = 0;
    size_t bad = 0;
    for (size_t i = 0; i < cpu.size(); i++) {
        const double a = cpu.get(i), b = emu.get(i);
        const double d = std::fabs(a - b);
        if (!(d <= atol + rtol * std::fabs(a))) bad++;
        if (d > maxabs || std::isnan(d)) maxabs = std::isnan(d) ? INFINITY : d;
        worst = std::max(worst, d - (atol + rtol * std::fabs(a)));
    }
    const bool ok = bad == 0;
    if (!ok) g_failures++;
    std::printf("%s %-58s %-4s max abs diff %.3g%s\n", ok ? "PASS" : "FAIL", what.c_str(), dname(dt), maxabs,
                ok ? "" : (" (" + std::to_string(bad) + " elements out of tolerance)").c_str());
}

void check_rc(int rc, const std::string& what) {
    if (rc != CALICO_OK) {
        std::printf("FAIL %s: rc %d: %s\n", what.c_str(), rc, calico_last_error());
        g_failures++;
    }
}

// ---------------------------------------------------------------------------------------------------------- mha

void mha_case(int dt, int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t d, bool kv_shared, bool fused_kv) {
    const int64_t C = H * d;
    const int64_t kvb = kv_shared ? 1 : B;
    Buf q = rnd(dt, B * Lq * C);
    // fused_kv: one [kvb, Lk, 2C] buffer, K at column 0, V at column C (the Q-Former / CEM layout)
    const int64_t krs = fused_kv ? 2 * C : C;
    Buf k = rnd(dt, kvb * Lk * krs + 1, 1.5f);
    Buf v = fused_kv ? Buf(dt, 0) : rnd(dt, kvb * Lk * C + 1);
    const int64_t kbs = kv_shared ? 0 : Lk * krs, vbs = kv_shared ? 0 : Lk * (fused_kv ? 2 * C : C);
    const int64_t es = dt == CALICO_F32 ? 4 : 2;
    const int64_t vaddr_off = fused_kv ? C * es : 0;
    Buf oc(dt, B * Lq * C), oe(dt, B * Lq * C);
    const float scale = 1.f / std::sqrt(static_cast<float>(d));
    int64_t vbase = fused_kv ? k.addr() : v.addr();
    check_rc(calico_mha(0, dt, q.addr(), k.addr(), vbase + vaddr_off, oc.addr(), B, H, Lq, Lk, d, Lq * C, C, kbs, krs,
                        vbs, krs == 2 * C ? 2 * C : C, Lq * C, C, scale, 0, 0, 0), "mha cpu");
    const int64_t wsb = calico_mha_workspace_bytes(1, B, H, Lq, Lk, d);
    std::vector<float> ws(static_cast<size_t>(wsb / 4 + 1));
    check_rc(calico_mha(1, dt, q.addr(), k.addr(), vbase + vaddr_off, oe.addr(), B, H, Lq, Lk, d, Lq * C, C, kbs, krs,
                        vbs, krs == 2 * C ? 2 * C : C, Lq * C, C, scale, reinterpret_cast<int64_t>(ws.data()), wsb, 0),
             "mha emu");
    char buf[160];
    std::snprintf(buf, sizeof buf, "mha B%lld H%lld Lq%lld Lk%lld d%lld%s%s%s", (long long)B, (long long)H, (long long)Lq,
                  (long long)Lk, (long long)d, kv_shared ? " kv-shared" : "", fused_kv ? " fused-kv" : "",
                  wsb > 0 ? " split-K" : "");
    compare(buf, dt, oc, oe);
}

// ---------------------------------------------------------------------------------------------------------- CAM

void cam_adapt_case(int dt, int64_t B, int64_t L, int64_t D, int64_t Dq, int64_t Nq) {
    Buf hidden = rnd(dt, B * L * D), wa = rnd(dt, Dq * D, 1.f / std::sqrt(static_cast<float>(D))), ba = rnd(dt, Dq, 0.05f);
    Buf queries = rnd(dt, Nq * Dq);
    std::vector<int64_t> idx(B);
    for (int64_t b = 0; b < B; b++) idx[b] = (L - 1 - 3 * b) % L < 0 ? 0 : (L - 1 - 3 * b) % L;
    Buf oc(dt, B * Nq * Dq), oe(dt, B * Nq * Dq);
    check_rc(calico_cam_adapt(0, dt, hidden.addr(), reinterpret_cast<int64_t>(idx.data()), wa.addr(), ba.addr(),
                              queries.addr(), oc.addr(), B, L, D, Dq, Nq, L * D, D, 0), "cam_adapt cpu");
    check_rc(calico_cam_adapt(1, dt, hidden.addr(), reinterpret_cast<int64_t>(idx.data()), wa.addr(), ba.addr(),
                              queries.addr(), oe.addr(), B, L, D, Dq, Nq, L * D, D, 0), "cam_adapt emu");
    compare("cam_adapt B" + std::to_string(B) + " L" + std::to_string(L) + " D" + std::to_string(D) + " Dq" +
                std::to_string(Dq) + " Nq" + std::to_string(Nq), dt, oc, oe);
}

void cam_scatter_case(int dt, int64_t B, int64_t L, int64_t D, int64_t nq, std::vector<int64_t> spans, bool inplace) {
    const int64_t nimg = static_cast<int64_t>(spans.size() / 2);
    Buf hidden = rnd(dt, B * L * D), proj = rnd(dt, nimg * nq * D);
    Buf oc = inplace ? hidden : Buf(dt, B * L * D), oe = inplace ? hidden : Buf(dt, B * L * D);
    check_rc(calico_cam_scatter_add(0, dt, inplace ? oc.addr() : hidden.addr(), oc.addr(), proj.addr(),
                                    reinterpret_cast<int64_t>(spans.data()), B, L, D, nimg, nq, 0), "scatter cpu");
    check_rc(calico_cam_scatter_add(1, dt, inplace ? oe.addr() : hidden.addr(), oe.addr(), proj.addr(),
                                    reinterpret_cast<int64_t>(spans.data()), B, L, D, nimg, nq, 0), "scatter emu");
    compare(std::string("cam_scatter_add ") + (inplace ? "in place" : "out of place") + " images " + std::to_string(nimg),
            dt, oc, oe);
}

// ---------------------------------------------------------------------------------------------------------- SAM

void sam_case(int dt, int64_t N, int64_t H, int64_t W, int64_t C1, int64_t C2, int64_t M) {
    Buf y1 = rnd(dt, N * 4 * C1 * H * W), b1 = rnd(dt, C1, 0.05f), lw = rnd(dt, C1, 0.1f, 1.f), lb = rnd(dt, C1, 0.05f);
    Buf zc(dt, N * C1 * 4 * H * W), ze(dt, N * C1 * 4 * H * W);
    check_rc(calico_sam_upscale_ln_gelu(0, dt, y1.addr(), b1.addr(), lw.addr(), lb.addr(), zc.addr(), N, H, W, C1, 1e-6f, 0), "ln cpu");
    check_rc(calico_sam_upscale_ln_gelu(1, dt, y1.addr(), b1.addr(), lw.addr(), lb.addr(), ze.addr(), N, H, W, C1, 1e-6f, 0), "ln emu");
    const std::string shp = " N" + std::to_string(N) + " " + std::to_string(H) + "x" + std::to_string(W);
    compare("sam_upscale_ln_gelu C" + std::to_string(C1) + shp, dt, zc, ze);
    Buf y2 = rnd(dt, N * 4 * C2 * H * W), b2 = rnd(dt, C2, 0.05f), hyper = rnd(dt, N * M * C2);
    Buf uc(dt, N * C2 * 4 * H * W), ue(dt, N * C2 * 4 * H * W);
    check_rc(calico_sam_upscale_gelu(0, dt, y2.addr(), b2.addr(), uc.addr(), N, H, W, C2, 0), "up cpu");
    check_rc(calico_sam_upscale_gelu(1, dt, y2.addr(), b2.addr(), ue.addr(), N, H, W, C2, 0), "up emu");
    compare("sam_upscale_gelu C" + std::to_string(C2) + shp, dt, uc, ue);
    Buf mc(dt, N * M * 4 * H * W), me(dt, N * M * 4 * H * W);
    check_rc(calico_sam_hyper_masks(0, dt, y2.addr(), b2.addr(), hyper.addr(), mc.addr(), N, H, W, C2, M, 0), "masks cpu");
    check_rc(calico_sam_hyper_masks(1, dt, y2.addr(), b2.addr(), hyper.addr(), me.addr(), N, H, W, C2, M, 0), "masks emu");
    compare("sam_hyper_masks C" + std::to_string(C2) + " M" + std::to_string(M) + shp, dt, mc, me);
}

void layer_norm_case(int dt, int64_t rows, int64_t cols) {
    Buf x = rnd(dt, rows * cols, 2.f, 0.5f), w = rnd(dt, cols, 0.1f, 1.f), b = rnd(dt, cols, 0.05f);
    Buf yc(dt, rows * cols), ye(dt, rows * cols);
    check_rc(calico_layer_norm(0, dt, x.addr(), yc.addr(), w.addr(), b.addr(), rows, cols, cols, cols, 1e-6f, 0), "ln cpu");
    check_rc(calico_layer_norm(1, dt, x.addr(), ye.addr(), w.addr(), b.addr(), rows, cols, cols, cols, 1e-6f, 0), "ln emu");
    compare("layer_norm " + std::to_string(rows) + "x" + std::to_string(cols), dt, yc, ye);
}

void skinny_case(int dt, int64_t m, int64_t n, int64_t k) {
    Buf x = rnd(dt, m * k), w = rnd(dt, n * k, 1.f / std::sqrt(static_cast<float>(k)));
    Buf yc(dt, m * n), ye(dt, m * n);
    check_rc(calico_skinny_gemm(0, dt, x.addr(), w.addr(), yc.addr(), m, n, k, 0), "skinny cpu");
    check_rc(calico_skinny_gemm(1, dt, x.addr(), w.addr(), ye.addr(), m, n, k, 0), "skinny emu");
    compare("skinny_gemm m" + std::to_string(m) + " n" + std::to_string(n) + " k" + std::to_string(k), dt, yc, ye);
}

// ------------------------------------------------------------------------------------ CPU-only kernels (no CUDA)
// calico_linear (gemm_rows), the folded Q-Former and the fused CAM reintegration have no CUDA version; they are checked
// here against naive references (double sums over the rounded inputs) so that the sanitizer builds of this driver
// (sanitize.sh) also cover the shipped CPU kernels' tails and row maps. Skipped where the CPU lacks their ISA.

Buf rounded(int dt, const std::vector<double>& v) {
    Buf b(dt, v.size());
    for (size_t i = 0; i < v.size(); i++) b.set(i, static_cast<float>(v[i]));
    return b;
}

// y[i, j] = sum_l x[i, l] w[j, l] (+ b[j]): x [m, k], w [n, k], in double
std::vector<double> naive_linear(const Buf& x, const Buf& w, const Buf* b, int64_t m, int64_t n, int64_t k) {
    std::vector<double> y(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = b ? b->get(j) : 0.0;
            for (int64_t l = 0; l < k; l++) acc += static_cast<double>(x.get(i * k + l)) * w.get(j * k + l);
            y[i * n + j] = acc;
        }
    return y;
}

void linear_case(int dt, int64_t m, int64_t n, int64_t k, bool bias, bool residual, bool inplace) {
    if (!calico_linear_available(0, dt)) return;
    Buf x = rnd(dt, m * k), w = rnd(dt, n * k, 1.f / std::sqrt(static_cast<float>(k + 1))), b = rnd(dt, n, 0.1f);
    Buf res = rnd(dt, m * n);
    std::vector<double> ref = naive_linear(x, w, bias ? &b : nullptr, m, n, k);
    if (residual)
        for (int64_t i = 0; i < m * n; i++) ref[i] += res.get(i);
    Buf y(dt, inplace ? 0 : m * n);
    check_rc(calico_linear(0, dt, x.addr(), w.addr(), bias ? b.addr() : 0, residual ? res.addr() : 0,
                           inplace ? res.addr() : y.addr(), m, n, k, 0), "linear");
    compare("cpu linear m" + std::to_string(m) + " n" + std::to_string(n) + " k" + std::to_string(k) +
                (bias ? " +b" : "") + (residual ? (inplace ? " +res in place" : " +res") : ""),
            dt, rounded(dt, ref), inplace ? res : y);
}

void qformer_folded_case(int dt, int64_t B, int64_t Nq, int64_t Dq, int64_t S, int64_t De, int64_t H) {
    if (!calico_qformer_xattn_folded_available(0, dt)) return;
    const int64_t dh = Dq / H;
    Buf hidden = rnd(dt, B * Nq * Dq), enc = rnd(dt, B * S * De);
    Buf wq = rnd(dt, Dq * Dq, 1.f / std::sqrt(static_cast<float>(Dq))), bq = rnd(dt, Dq, 0.1f);
    Buf wk = rnd(dt, Dq * De, 1.f / std::sqrt(static_cast<float>(De))), bk = rnd(dt, Dq, 0.5f);
    Buf wv = rnd(dt, Dq * De, 1.f / std::sqrt(static_cast<float>(De))), bv = rnd(dt, Dq, 0.1f);
    Buf wkt(dt, De * Dq);
    for (int64_t o = 0; o < Dq; o++)
        for (int64_t e = 0; e < De; e++) wkt.set(e * Dq + o, wk.get(o * De + e));
    // the composite: project every encoder token (bk included: the folded kernel drops it, exactly)
    const std::vector<double> q = naive_linear(hidden, wq, &bq, B * Nq, Dq, Dq);
    const std::vector<double> kk = naive_linear(enc, wk, &bk, B * S, Dq, De), vv = naive_linear(enc, wv, &bv, B * S, Dq, De);
    std::vector<double> ref(static_cast<size_t>(B * Nq * Dq));
    for (int64_t bb = 0; bb < B; bb++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Nq; i++) {
                const double* qi = q.data() + (bb * Nq + i) * Dq + h * dh;
                std::vector<double> sc(S);
                double mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < S; j++) {
                    double d = 0;
                    for (int64_t t = 0; t < dh; t++) d += qi[t] * kk[(bb * S + j) * Dq + h * dh + t];
                    sc[j] = d / std::sqrt(static_cast<double>(dh));
                    mx = std::max(mx, sc[j]);
                }
                for (int64_t j = 0; j < S; j++) sum += (sc[j] = std::exp(sc[j] - mx));
                for (int64_t t = 0; t < dh; t++) {
                    double o = 0;
                    for (int64_t j = 0; j < S; j++) o += sc[j] / sum * vv[(bb * S + j) * Dq + h * dh + t];
                    ref[(bb * Nq + i) * Dq + h * dh + t] = o;
                }
            }
    Buf out(dt, B * Nq * Dq);
    check_rc(calico_qformer_xattn_folded(0, dt, hidden.addr(), enc.addr(), wq.addr(), bq.addr(), wkt.addr(), wv.addr(),
                                         bv.addr(), out.addr(), B, Nq, Dq, S, De, H, 0), "qformer folded");
    char buf[120];
    std::snprintf(buf, sizeof buf, "cpu qformer folded B%lld Nq%lld Dq%lld S%lld De%lld H%lld", (long long)B,
                  (long long)Nq, (long long)Dq, (long long)S, (long long)De, (long long)H);
    compare(buf, dt, rounded(dt, ref), out);
}

void cam_fused_case(int dt, int64_t B, int64_t L, int64_t D, int64_t nq, int64_t dq, std::vector<int64_t> spans, bool inplace) {
    if (!calico_cam_reintegrate_fused_available(0, dt)) return;
    const int64_t n_img = static_cast<int64_t>(spans.size()) / 2;
    Buf hidden = rnd(dt, B * L * D), x = rnd(dt, n_img * nq * dq);
    Buf wr = rnd(dt, D * dq, 1.f / std::sqrt(static_cast<float>(dq))), br = rnd(dt, D, 0.1f);
    const std::vector<double> proj = naive_linear(x, wr, &br, n_img * nq, D, dq);
    std::vector<double> ref(static_cast<size_t>(B * L * D));
    for (int64_t i = 0; i < B * L * D; i++) ref[i] = hidden.get(i);
    for (int64_t j = 0; j < n_img; j++)
        for (int64_t q = 0; q < nq; q++)
            for (int64_t c = 0; c < D; c++) ref[(spans[2 * j] * L + spans[2 * j + 1] + q) * D + c] += proj[(j * nq + q) * D + c];
    Buf out(dt, inplace ? 0 : B * L * D);
    check_rc(calico_cam_reintegrate_fused(0, dt, hidden.addr(), inplace ? hidden.addr() : out.addr(), x.addr(), wr.addr(),
                                          br.addr(), reinterpret_cast<int64_t>(spans.data()), B, L, D, n_img, nq, dq, 0),
             "cam fused");
    compare("cpu cam_reintegrate_fused B" + std::to_string(B) + " L" + std::to_string(L) + " D" + std::to_string(D) +
                " images " + std::to_string(n_img) + (inplace ? " in place" : ""),
            dt, rounded(dt, ref), inplace ? hidden : out);
}

}  // namespace

int main() {
    std::printf("%s | %s\n", calico_build_info(), calico_cuda_status());
    for (int dt : {CALICO_F32, CALICO_BF16, CALICO_F16}) {
        mha_case(dt, 2, 3, 40, 300, 64, false, false);   // split-K (emulated SM count 16)
        mha_case(dt, 1, 2, 7, 700, 16, true, false);     // SAM token->image: keys shared, split-K
        mha_case(dt, 2, 2, 70, 7, 16, false, false);     // SAM image->token
        mha_case(dt, 2, 4, 5, 19, 12, false, true);      // Q-Former layout: K|V in one buffer
        mha_case(dt, 1, 2, 33, 40, 88, false, true);     // CEM head size 88
        mha_case(dt, 1, 1, 5, 9, 128, false, false);
        mha_case(dt, 1, 2, 1, 1, 32, false, false);      // one query, one key
        mha_case(dt, 4, 2, 7, 700, 16, true, false);     // shared keys, 4 prompts: run as one batch of 28 queries
        mha_case(dt, 3, 2, 6, 300, 64, false, false);    // few queries, head size 64 (BQ 8, float4 P.V), split-K
        mha_case(dt, 2, 2, 50, 5, 32, false, false);     // few keys, head size 32 (one thread per query)
        mha_case(dt, 2, 3, 7, 90, 6, false, true);       // head size 6: scalar loads, few queries
        mha_case(dt, 1, 2, 20, 9, 30, false, false);     // head size 30: scalar loads
        cam_adapt_case(dt, 3, 13, 40, 24, 4);
        cam_adapt_case(dt, 9, 5, 70, 20, 3);            // more rows than one accumulator pass
        cam_adapt_case(dt, 3, 6, 520, 12, 4);           // D % 4 == 0: vector loads, a partial second load
        cam_adapt_case(dt, 2, 4, 2100, 5, 3);           // 4 warps per output over 2+ rounds of 1024 columns, odd Dq
        cam_scatter_case(dt, 2, 20, 40, 4, {0, 1, 0, 9, 1, 2}, false);
        cam_scatter_case(dt, 2, 20, 40, 4, {0, 1, 0, 3, 1, 16}, true);  // overlapping spans, in place
        cam_scatter_case(dt, 2, 20, 42, 4, {0, 1, 1, 9}, false);        // D % 4 != 0: scalar path
        // ten images over one row, up to ten covering a token: more than the 8 kept in shared memory
        cam_scatter_case(dt, 1, 30, 40, 12, {0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9}, false);
        sam_case(dt, 2, 5, 3, 8, 4, 3);
        sam_case(dt, 1, 4, 70, 64, 32, 4);               // wider than one 128-pixel block (64 pairs in stage 2)
        sam_case(dt, 2, 3, 5, 80, 16, 16);               // > 64 channels: stage 1 re-reads; 16 mask tokens
        layer_norm_case(dt, 7, 1408);                    // one warp per row, row in registers (partial block)
        layer_norm_case(dt, 3, 1536);                    // the registers path's widest row
        layer_norm_case(dt, 9, 1540);                    // one warp per row, scalar loads (wider than registers)
        layer_norm_case(dt, 5, 1410);                    // cols % 4 != 0: scalar loads
        layer_norm_case(dt, 2, 9000);                    // wider than the warp path: one block per row
        skinny_case(dt, 3, 37, 300);
        skinny_case(dt, 8, 16, 64);
    }
    mha_case(CALICO_F32, 2, 1, 4, 0, 16, false, false);  // no keys -> zeros on both
    // the tensor-core kernel (attention_tc.cu, opt-in with CALICO_MHA_TC=1): BF16 / F16, >= 64 queries
    setenv("CALICO_MHA_TC", "1", 1);
    for (int dt : {CALICO_BF16, CALICO_F16}) {
        mha_case(dt, 1, 1, 64, 20, 96, false, false);    // one query tile, one partial key tile, head 96
        mha_case(dt, 1, 2, 70, 80, 88, false, true);     // CEM head 88 (pad 96), K|V buffer: partial query/key tiles
        mha_case(dt, 1, 1, 65, 130, 32, false, false);   // three key tiles, head 32
        mha_case(dt, 1, 1, 64, 17, 128, false, false);   // head 128 (Q and K share the staging buffer)
        mha_case(dt, 1, 1, 64, 33, 30, false, false);    // head 30: scalar loads, zero padding to 32
    }
    unsetenv("CALICO_MHA_TC");
    for (int dt : {CALICO_F32, CALICO_BF16}) {
        linear_case(dt, 1, 1, 1, true, false, false);
        linear_case(dt, 5, 17, 33, true, true, false);   // fewer rows than a tile, odd features and depth
        linear_case(dt, 37, 29, 45, false, true, true);  // partial row and feature tiles, residual in place
        linear_case(dt, 64, 48, 64, true, false, false);
        linear_case(dt, 19, 7, 0, true, true, false);    // K = 0: bias plus residual
        qformer_folded_case(dt, 2, 5, 48, 19, 40, 4);
        qformer_folded_case(dt, 1, 3, 36, 70, 51, 3);   // odd encoder width and head size 12
        cam_fused_case(dt, 2, 20, 40, 4, 24, {0, 1, 0, 9, 1, 2}, false);
        cam_fused_case(dt, 2, 23, 37, 5, 19, {1, 0, 0, 17}, true);  // odd sizes, in place
    }
    std::printf("%d cases, %d failures\n", g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}
