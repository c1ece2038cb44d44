// sam_upscale.cpp -- SAM mask decoder output upscaling and hypernetwork product (segment-anything
// modeling/mask_decoder.py), CPU, fp32 math on F32 / BF16 / F16 storage.
//
// A ConvTranspose2d with kernel 2 and stride 2 is a per-pixel GEMM followed by a pixel shuffle. The Java side runs
// the GEMMs (LibTorch matmul) as y[n] = Wt [4*C, Cin] @ x[n] [Cin, H*W] with the weight reordered to rows (a, b, o)
// -- sub-pixel (a, b), output channel o -- so y [N, 4*C, H, W] holds, for every sub-pixel and channel, one plane
// of the input grid. These kernels do everything between and after the GEMMs in one pass each, vectorised along
// image rows:
//   stage 1: pixel shuffle + bias + LayerNorm2d (over channels, two-pass statistics) + GELU -> z [N, C, 2H, 2W],
//            which the second GEMM reads directly;
//   stage 2: pixel shuffle + bias + GELU, either written out as upstream's upscaled embedding [N, C, 2H, 2W], or
//            fused with the hypernetwork product masks[n, m] = hyper_in[n, m, :] . upscaled[n, :, y, x]
//            (the upscaled tensor is then never materialised).
#include <algorithm>
#include <string>

#include "kernel_util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace calico {

namespace {

// out[2q] = a[q], out[2q+1] = b[q] for q < n.
CALICO_SIMD_CLONES
void interleave(const float* __restrict a, const float* __restrict b, int64_t n, float* __restrict out) {
    for (int64_t q = 0; q < n; q++) {
        out[2 * q] = a[q];
        out[2 * q + 1] = b[q];
    }
}

// Stage 1 for one sub-pixel plane row: v [C, w] = y rows + bias; LayerNorm over C per column j, affine, GELU -> z [C, w].
CALICO_SIMD_CLONES
void ln_gelu_columns(float* __restrict v, const float* __restrict bias, const float* __restrict lw,
                     const float* __restrict lb, float eps, int64_t C, int64_t w, float* __restrict mean,
                     float* __restrict rstd, float* __restrict z) {
    const float invc = 1.f / static_cast<float>(C);
    for (int64_t j = 0; j < w; j++) mean[j] = 0.f;
    for (int64_t o = 0; o < C; o++) {
        float* vr = v + o * w;
        const float bo = bias[o];
        for (int64_t j = 0; j < w; j++) {
            vr[j] += bo;
            mean[j] += vr[j];
        }
    }
    for (int64_t j = 0; j < w; j++) {
        mean[j] *= invc;
        rstd[j] = 0.f;
    }
    for (int64_t o = 0; o < C; o++) {
        const float* vr = v + o * w;
        for (int64_t j = 0; j < w; j++) {
            const float dl = vr[j] - mean[j];
            rstd[j] += dl * dl;
        }
    }
    for (int64_t j = 0; j < w; j++) rstd[j] = 1.f / std::sqrt(rstd[j] * invc + eps);
    for (int64_t o = 0; o < C; o++) {
        const float* vr = v + o * w;
        float* zr = z + o * w;
        const float g = lw[o], bb = lb[o];
        for (int64_t j = 0; j < w; j++) zr[j] = gelu_erf((vr[j] - mean[j]) * rstd[j] * g + bb);
    }
}

// g [C, w] = GELU(y rows + bias).
CALICO_SIMD_CLONES
void bias_gelu_rows(float* __restrict v, const float* __restrict bias, int64_t C, int64_t w) {
    for (int64_t o = 0; o < C; o++) {
        float* vr = v + o * w;
        const float bo = bias[o];
        for (int64_t j = 0; j < w; j++) vr[j] = gelu_erf(vr[j] + bo);
    }
}

// acc[x] = sum_o hyp[o] * g[o, x] for x < w.
CALICO_SIMD_CLONES
void hyper_dot(const float* __restrict hyp, const float* __restrict g, int64_t C, int64_t w, float* __restrict acc) {
    for (int64_t x = 0; x < w; x++) acc[x] = 0.f;
    for (int64_t o = 0; o < C; o++) {
        const float hv = hyp[o];
        const float* gr = g + o * w;
        for (int64_t x = 0; x < w; x++) acc[x] += hv * gr[x];
    }
}

// Reads the C rows of sub-pixel plane s, grid row i, of y [4*C, H, W] (image base yb) into v [C, W] (fp32).
inline void load_plane_row(int dtype, const char* yb, int64_t es, int s, int64_t C, int64_t H, int64_t W, int64_t i,
                           float* v) {
    for (int64_t o = 0; o < C; o++)
        load_f32(dtype, yb + (((s * C + o) * H + i) * W) * es, W, v + o * W);
}

}  // namespace

int sam_upscale_ln_gelu_cpu(int dtype, int64_t y, int64_t bias, int64_t lnw, int64_t lnb, int64_t out, int64_t N,
                            int64_t H, int64_t W, int64_t C, float eps) {
    const int64_t es = dtype_size(dtype);
    float* params = thread_scratch(7, static_cast<size_t>(3 * C));
    if (!params) return set_error(CALICO_ERR_ARG, "sam_upscale_ln_gelu: out of memory for scratch");
    load_f32(dtype, reinterpret_cast<const void*>(bias), C, params);
    load_f32(dtype, reinterpret_cast<const void*>(lnw), C, params + C);
    load_f32(dtype, reinterpret_cast<const void*>(lnb), C, params + 2 * C);
    const char* Y = reinterpret_cast<const char*>(y);
    char* Z = reinterpret_cast<char*>(out);
    const int64_t rows = N * H;
    const int64_t W2 = 2 * W;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (rows * W * C > 16384)
    {
        float* v = thread_scratch(0, static_cast<size_t>(C * W));
        float* z = thread_scratch(1, static_cast<size_t>(4 * C * W));  // [4 (a,b), C, W]
        float* stats = thread_scratch(2, static_cast<size_t>(2 * W));
        float* line = thread_scratch(3, static_cast<size_t>(W2));
        const bool ok = v && z && stats && line;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; r++) {
            if (!ok) continue;
            const int64_t n = r / H, i = r % H;
            const char* yb = Y + n * 4 * C * H * W * es;
            for (int s = 0; s < 4; s++) {
                load_plane_row(dtype, yb, es, s, C, H, W, i, v);
                ln_gelu_columns(v, params, params + C, params + 2 * C, eps, C, W, stats, stats + W, z + s * C * W);
            }
            for (int64_t o = 0; o < C; o++)
                for (int a = 0; a < 2; a++) {
                    interleave(z + ((2 * a) * C + o) * W, z + ((2 * a + 1) * C + o) * W, W, line);
                    store_f32(dtype, line, W2, Z + (((n * C + o) * 2 * H + 2 * i + a) * W2) * es);
                }
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "sam_upscale_ln_gelu: out of memory for per-thread scratch");
    return CALICO_OK;
}

// Stage 2. hyper == 0: out = upscaled [N, C, 2H, 2W]; else out = masks [N, M, 2H, 2W] with hyper [N, M, C].
int sam_stage2_cpu(int dtype, int64_t y, int64_t bias, int64_t hyper, int64_t out, int64_t N, int64_t H, int64_t W,
                   int64_t C, int64_t M) {
    const int64_t es = dtype_size(dtype);
    const bool masks = hyper != 0;
    float* params = thread_scratch(7, static_cast<size_t>(C + (masks ? N * M * C : 0)));
    if (!params) return set_error(CALICO_ERR_ARG, "sam_upscale: out of memory for scratch");
    load_f32(dtype, reinterpret_cast<const void*>(bias), C, params);
    float* hyp = params + C;
    if (masks) load_f32(dtype, reinterpret_cast<const void*>(hyper), N * M * C, hyp);
    const char* Y = reinterpret_cast<const char*>(y);
    char* O = reinterpret_cast<char*>(out);
    const int64_t rows = N * H;
    const int64_t W2 = 2 * W;
    int failed = 0;
#pragma omp parallel num_threads(kernel_threads()) if (rows * W * C > 16384)
    {
        float* g = thread_scratch(0, static_cast<size_t>(4 * C * W));  // [4 (a,b), C, W]
        float* acc = thread_scratch(1, static_cast<size_t>(4 * W));
        float* line = thread_scratch(2, static_cast<size_t>(W2));
        const bool ok = g && acc && line;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t r = 0; r < rows; r++) {
            if (!ok) continue;
            const int64_t n = r / H, i = r % H;
            const char* yb = Y + n * 4 * C * H * W * es;
            for (int s = 0; s < 4; s++) {
                load_plane_row(dtype, yb, es, s, C, H, W, i, g + s * C * W);
                bias_gelu_rows(g + s * C * W, params, C, W);
            }
            if (!masks) {
                for (int64_t o = 0; o < C; o++)
                    for (int a = 0; a < 2; a++) {
                        interleave(g + ((2 * a) * C + o) * W, g + ((2 * a + 1) * C + o) * W, W, line);
                        store_f32(dtype, line, W2, O + (((n * C + o) * 2 * H + 2 * i + a) * W2) * es);
                    }
            } else {
                for (int64_t m = 0; m < M; m++) {
                    const float* hv = hyp + (n * M + m) * C;
                    for (int s = 0; s < 4; s++) hyper_dot(hv, g + s * C * W, C, W, acc + s * W);
                    for (int a = 0; a < 2; a++) {
                        interleave(acc + (2 * a) * W, acc + (2 * a + 1) * W, W, line);
                        store_f32(dtype, line, W2, O + (((n * M + m) * 2 * H + 2 * i + a) * W2) * es);
                    }
                }
            }
        }
    }
    if (failed) return set_error(CALICO_ERR_ARG, "sam_upscale: out of memory for per-thread scratch");
    return CALICO_OK;
}

#ifdef CALICO_WITH_CUDA
int sam_upscale_ln_gelu_cuda(int device, int dtype, int64_t y, int64_t bias, int64_t lnw, int64_t lnb, int64_t out, int64_t N,
                             int64_t H, int64_t W, int64_t C, float eps, int64_t stream);
int sam_stage2_cuda(int device, int dtype, int64_t y, int64_t bias, int64_t hyper, int64_t out, int64_t N, int64_t H, int64_t W,
                    int64_t C, int64_t M, int64_t stream);
#endif

}  // namespace calico

namespace {
int check_grid(const char* op, int dtype, int64_t n, int64_t h, int64_t w, int64_t c) {
    if (calico::dtype_size(dtype) == 0)
        return calico::set_error(CALICO_ERR_UNSUPPORTED, std::string(op) + ": unsupported dtype code " + std::to_string(dtype));
    if (n < 0 || h <= 0 || w <= 0 || c <= 0)
        return calico::set_error(CALICO_ERR_ARG, std::string(op) + ": bad sizes n=" + std::to_string(n) + " h=" +
                                                     std::to_string(h) + " w=" + std::to_string(w) + " c=" + std::to_string(c));
    return CALICO_OK;
}
}  // namespace

extern "C" int calico_sam_upscale_ln_gelu(int device, int dtype, int64_t y, int64_t bias, int64_t ln_w, int64_t ln_b,
                                          int64_t out, int64_t n, int64_t h, int64_t w, int64_t c, float eps,
                                          int64_t stream) {
    calico::clear_error();
    int rc = check_grid("sam_upscale_ln_gelu", dtype, n, h, w, c);
    if (rc != CALICO_OK) return rc;
    if (n == 0) return CALICO_OK;
    if (!y || !bias || !ln_w || !ln_b || !out) return calico::set_error(CALICO_ERR_ARG, "sam_upscale_ln_gelu: null address");
    if (device == 0) return calico::sam_upscale_ln_gelu_cpu(dtype, y, bias, ln_w, ln_b, out, n, h, w, c, eps);
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::sam_upscale_ln_gelu_cuda(device, dtype, y, bias, ln_w, ln_b, out, n, h, w, c, eps, stream);
#else
    (void)stream;
    if (device >= 1) return calico::set_error(CALICO_ERR_NO_CUDA, "sam_upscale_ln_gelu: library built without CUDA");
#endif
    return calico::set_error(CALICO_ERR_ARG, "sam_upscale_ln_gelu: unknown device " + std::to_string(device));
}

extern "C" int calico_sam_upscale_gelu(int device, int dtype, int64_t y, int64_t bias, int64_t out, int64_t n,
                                       int64_t h, int64_t w, int64_t c, int64_t stream) {
    calico::clear_error();
    int rc = check_grid("sam_upscale_gelu", dtype, n, h, w, c);
    if (rc != CALICO_OK) return rc;
    if (n == 0) return CALICO_OK;
    if (!y || !bias || !out) return calico::set_error(CALICO_ERR_ARG, "sam_upscale_gelu: null address");
    if (device == 0) return calico::sam_stage2_cpu(dtype, y, bias, 0, out, n, h, w, c, 0);
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::sam_stage2_cuda(device, dtype, y, bias, 0, out, n, h, w, c, 0, stream);
#else
    (void)stream;
    if (device >= 1) return calico::set_error(CALICO_ERR_NO_CUDA, "sam_upscale_gelu: library built without CUDA");
#endif
    return calico::set_error(CALICO_ERR_ARG, "sam_upscale_gelu: unknown device " + std::to_string(device));
}

extern "C" int calico_sam_hyper_masks(int device, int dtype, int64_t y, int64_t bias, int64_t hyper, int64_t out,
                                      int64_t n, int64_t h, int64_t w, int64_t c, int64_t m, int64_t stream) {
    calico::clear_error();
    int rc = check_grid("sam_hyper_masks", dtype, n, h, w, c);
    if (rc != CALICO_OK) return rc;
    if (m <= 0) return calico::set_error(CALICO_ERR_ARG, "sam_hyper_masks: need at least one mask token, m=" + std::to_string(m));
    if (n == 0) return CALICO_OK;
    if (!y || !bias || !hyper || !out) return calico::set_error(CALICO_ERR_ARG, "sam_hyper_masks: null address");
    if (device == 0) return calico::sam_stage2_cpu(dtype, y, bias, hyper, out, n, h, w, c, m);
#ifdef CALICO_WITH_CUDA
    if (device >= 1) return calico::sam_stage2_cuda(device, dtype, y, bias, hyper, out, n, h, w, c, m, stream);
#else
    (void)stream;
    if (device >= 1) return calico::set_error(CALICO_ERR_NO_CUDA, "sam_hyper_masks: library built without CUDA");
#endif
    return calico::set_error(CALICO_ERR_ARG, "sam_hyper_masks: unknown device " + std::to_string(device));
}
