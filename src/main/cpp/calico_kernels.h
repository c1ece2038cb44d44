// calico_kernels.h -- C ABI of CALICO's own kernels (CPU in src/main/cpp, CUDA in cuda/).
//
// Device codes: 0 = CPU, 1 + i = CUDA device i (the kernel makes that device current for its launch); stream is a
// cudaStream_t as int64 (0 = the legacy default stream, which is LibTorch's default stream).
//
// Every kernel receives raw addresses (as int64, from LibTorch's Tensor.data_ptr()), sizes and
// element strides; the Java side (org.calico.kernels) checks shapes, dtypes and contiguity before
// calling. Functions return CALICO_OK (0) or a negative error code; calico_last_error() gives the
// message for the calling thread.
#ifndef CALICO_KERNELS_H
#define CALICO_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CALICO_OK = 0,
    CALICO_ERR_ARG = -1,        // invalid argument (shape, stride, dtype)
    CALICO_ERR_NO_CUDA = -2,    // built without CUDA, or no CUDA device / runtime
    CALICO_ERR_CUDA = -3,       // a CUDA call failed
    CALICO_ERR_UNSUPPORTED = -4 // dtype or configuration not implemented
};

// dtype codes shared with org.calico.tensor.DType#code()
enum {
    CALICO_F32 = 0,
    CALICO_F16 = 1,
    CALICO_BF16 = 2
};

/** Human-readable message of the last error on this thread ("" if none). */
const char* calico_last_error(void);

/** Build description: compiler, CPU dispatch, CUDA architectures compiled in. */
const char* calico_build_info(void);

/**
 * Sets the thread count of the OpenBLAS already loaded in this process (by LibTorch), which keeps its own pool.
 * Returns 1 if OpenBLAS was found, 0 otherwise.
 */
int calico_set_blas_threads(int n);

/** 1 if the CUDA kernels were compiled into this library, else 0. */
int calico_cuda_compiled(void);

/** Number of usable CUDA devices; 0 where there is none or no CUDA runtime/driver (never crashes). */
int calico_cuda_device_count(void);

/** Status string of the CUDA probe, e.g. "no CUDA device (cudaErrorNoDevice)" or "1 device(s): NVIDIA H100". */
const char* calico_cuda_status(void);

/**
 * LayerNorm over the last dimension: y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * w + b.
 * x, y: [rows, cols] with row strides x_stride / y_stride (in elements), last dim contiguous.
 * w, b: [cols] contiguous, same dtype as x (b may be 0 = no bias). Statistics in fp32.
 * device: 0 = CPU, 1 + i = CUDA device i (stream = cudaStream_t as int64, 0 = legacy default stream).
 */
int calico_layer_norm(int device, int dtype, int64_t x, int64_t y, int64_t w, int64_t b,
                      int64_t rows, int64_t cols, int64_t x_stride, int64_t y_stride,
                      float eps, int64_t stream);

/**
 * Thread count of CALICO's OpenMP kernel regions (n <= 0: back to the OpenMP default). CalicoRuntime.setThreads
 * calls it with LibTorch's count.
 */
void calico_set_num_threads(int n);
int calico_get_num_threads(void);

/**
 * Fused multi-head attention on already-projected q/k/v, online softmax, fp32 accumulation:
 *   out[b, i, h*d + c] = sum_j softmax_j(scale * <q[b, i, h*d : h*d+d], k[b, j, h*d : h*d+d]>) * v[b, j, h*d + c]
 * Element (b, i, h, c) of q lives at q + b*q_bs + i*q_rs + h*d + c (element strides); k, v, out likewise with their
 * own batch/row strides. Heads are contiguous inside a row (row strides >= heads*d), so heads are read in place from
 * e.g. a fused [B, S, 2*D] K|V buffer. A batch stride of 0 broadcasts that input over the batch (SAM: image keys
 * shared by every prompt). lk == 0 gives zeros (softmax over an empty set, as the composite's matmul).
 * CPU: any d. CUDA: d <= 128; workspace (device memory, may be 0) lets the kernel split long key ranges over more
 * blocks when batch*heads*query-tiles is small -- size from calico_mha_workspace_bytes; too small = no split.
 */
int calico_mha(int device, int dtype, int64_t q, int64_t k, int64_t v, int64_t out, int64_t batch, int64_t heads,
               int64_t lq, int64_t lk, int64_t d, int64_t q_bs, int64_t q_rs, int64_t k_bs, int64_t k_rs,
               int64_t v_bs, int64_t v_rs, int64_t o_bs, int64_t o_rs, float scale, int64_t workspace,
               int64_t workspace_bytes, int64_t stream);

/** Bytes of workspace calico_mha would use on this device for these sizes (0 on the CPU or when no split pays). */
int64_t calico_mha_workspace_bytes(int device, int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t d);

/**
 * CAM adaptation (Cheetah VPG-C): out[b, n, :] = queries[n, :] + ba + Wa @ hidden[b, last_idx[b], :].
 * hidden: element (b, l, c) at hidden + b*h_bs + l*h_rs + c; last_idx: int64 [batch] in the device's memory, each in
 * [0, seq); wa [dq, dim], ba [dq], queries [nq, dq], out [batch, nq, dq], all contiguous, one dtype.
 */
int calico_cam_adapt(int device, int dtype, int64_t hidden, int64_t last_idx, int64_t wa, int64_t ba,
                     int64_t queries, int64_t out, int64_t batch, int64_t seq, int64_t dim, int64_t dq, int64_t nq,
                     int64_t h_bs, int64_t h_rs, int64_t stream);

/**
 * CAM reintegration scatter-add: out[b, l, :] = hidden[b, l, :] + sum over images j with spans[j] = (b, s_j) and
 * s_j <= l < s_j + nq of proj[j, l - s_j, :]. proj [n_img, nq, dim] (already x Wr^T + br), spans int64 [n_img, 2]
 * in the device's memory, hidden/out [batch, seq, dim] contiguous. out == hidden updates in place and touches only
 * span rows; otherwise every row of out is written (copy fused with the add).
 */
int calico_cam_scatter_add(int device, int dtype, int64_t hidden, int64_t out, int64_t proj, int64_t spans,
                           int64_t batch, int64_t seq, int64_t dim, int64_t n_img, int64_t nq, int64_t stream);

/**
 * CAM reintegration with the projection fused in (CPU only: F32 with AVX-512F, BF16 with AVX512-BF16):
 *   out[b_j, s_j + q, :] = hidden[b_j, s_j + q, :] + br + x[j, q, :] @ wr^T
 * x [n_img, nq, dq], wr [dim, dq], br [dim], spans int64 [n_img, 2] (host memory) as in calico_cam_scatter_add but
 * not overlapping; hidden/out [batch, seq, dim] contiguous; fp32 accumulation, one rounding per element. Other rows
 * of out are copied from hidden (out != hidden) or untouched (out == hidden). CALICO_ERR_UNSUPPORTED where
 * calico_cam_reintegrate_fused_available says 0 (then: addmm + calico_cam_scatter_add).
 */
int calico_cam_reintegrate_fused(int device, int dtype, int64_t hidden, int64_t out, int64_t x, int64_t wr,
                                 int64_t br, int64_t spans, int64_t batch, int64_t seq, int64_t dim, int64_t n_img,
                                 int64_t nq, int64_t dq, int64_t stream);

/** 1 if calico_cam_reintegrate_fused runs for this device code and dtype on this machine, else 0. */
int calico_cam_reintegrate_fused_available(int device, int dtype);

/**
 * Linear layer with the residual fused, CPU only (F32 with AVX-512F, BF16 with AVX512-BF16):
 *   y[i, j] = residual[i, j] + b[j] + sum_l x[i, l] * w[j, l]      (residual, b: 0 = none)
 * x [m, k], w [n, k] (nn.Linear layout), b [n], residual / y [m, n], all contiguous, one dtype; fp32 accumulation,
 * one rounding per element. residual may equal y (in place). CALICO_ERR_UNSUPPORTED where
 * calico_linear_available says 0 (then: addmm).
 */
int calico_linear(int device, int dtype, int64_t x, int64_t w, int64_t b, int64_t residual, int64_t y, int64_t m,
                  int64_t n, int64_t k, int64_t stream);

/** 1 if calico_linear runs for this device code and dtype on this machine, else 0. */
int calico_linear_available(int device, int dtype);

/**
 * Q-Former cross-attention with the K / V projections folded into the queries and the output (CPU only, F32 with
 * AVX-512F, BF16 with AVX512-BF16; see qformer_xattn.cpp): out = MHA(hidden Wq^T + bq, encoder Wk^T + bk,
 * encoder Wv^T + bv) with heads of dq / heads, computed as softmax((q_h Wk_h) enc^T / sqrt(dh)) enc Wv_h^T + bv_h
 * (exact: q_h . bk_h is constant over the keys). hidden [batch, nq, dq], encoder [batch, seq, de], wq [dq, dq],
 * bq [dq], wk_t = Wk^T [de, dq], wv [dq, de], bv [dq], out [batch, nq, dq], all contiguous, one dtype.
 */
int calico_qformer_xattn_folded(int device, int dtype, int64_t hidden, int64_t encoder, int64_t wq, int64_t bq,
                                int64_t wk_t, int64_t wv, int64_t bv, int64_t out, int64_t batch, int64_t nq,
                                int64_t dq, int64_t seq, int64_t de, int64_t heads, int64_t stream);

/** 1 if calico_qformer_xattn_folded runs for this device code and dtype on this machine, else 0. */
int calico_qformer_xattn_folded_available(int device, int dtype);

/**
 * SAM output upscaling, stage 1. A ConvTranspose2d(k2, s2) is run before as one GEMM per image,
 * y[n] = Wt [4*c, c_in] @ x[n] [c_in, h*w], with Wt's rows ordered (a, b, o): y [n, 4*c, h, w] contiguous. Then
 *   out[n, o, 2i+a, 2j+b] = GELU(LayerNorm_c(y[n, (2a+b)*c : +c, i, j] + bias) * ln_w + ln_b)   (LayerNorm2d, eps)
 * out [n, c, 2h, 2w] contiguous (channels first, the next GEMM's operand).
 */
int calico_sam_upscale_ln_gelu(int device, int dtype, int64_t y, int64_t bias, int64_t ln_w, int64_t ln_b,
                               int64_t out, int64_t n, int64_t h, int64_t w, int64_t c, float eps, int64_t stream);

/**
 * SAM output upscaling, stage 2 (after ConvTranspose2d #2 as a GEMM, rows (a, b, o)): y [n, 4*c, h, w] ->
 * out [n, c, 2h, 2w] (upstream's upscaled embedding), out[n, o, 2i+a, 2j+b] = GELU(y[n, (2a+b)*c + o, i, j] + bias[o]).
 */
int calico_sam_upscale_gelu(int device, int dtype, int64_t y, int64_t bias, int64_t out, int64_t n, int64_t h,
                            int64_t w, int64_t c, int64_t stream);

/**
 * Stage 2 fused with the hypernetwork product: masks[n, m, 2i+a, 2j+b] = sum_o hyper[n, m, o] * GELU(y[...] + bias[o]).
 * hyper [n, m, c], out [n, m, 2h, 2w] contiguous; the upscaled embedding is never materialised.
 */
int calico_sam_hyper_masks(int device, int dtype, int64_t y, int64_t bias, int64_t hyper, int64_t out, int64_t n,
                           int64_t h, int64_t w, int64_t c, int64_t m, int64_t stream);

/**
 * Skinny matrix product for LLM decode steps: y[m, n] = sum_k x[m, k] * w[n, k] (x @ w^T, nn.Linear without bias)
 * for 1 <= m <= 8 rows. x [m, k], w [n, k], y [m, n], all contiguous and of the same dtype (F32 / BF16 / F16);
 * fp32 accumulation, one rounding at the end. device: 0 = CPU, 1 + i = cuda:i (stream as in calico_layer_norm).
 */
int calico_skinny_gemm(int device, int dtype, int64_t x, int64_t w, int64_t y, int64_t m, int64_t n, int64_t k,
                       int64_t stream);

/** The CPU path calico_skinny_gemm uses on this machine: "avx512f", "avx2+fma" or "scalar". */
const char* calico_skinny_gemm_path(void);

#ifdef __cplusplus
}
#endif

#endif  // CALICO_KERNELS_H
