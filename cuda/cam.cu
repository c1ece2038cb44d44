// cam.cu -- CALICO CAM stages (calico_cam_adapt, calico_cam_scatter_add), CUDA, fp32 accumulation.
//
// adapt: one launch. Block = 8 warps handling 2 consecutive outputs o of f_adaptation, 4 warps per output, each
//   streaming a quarter of row o of Wa (coalesced; 4-element vector loads, two in flight, where D and the rows are
//   aligned) against every batch row's gathered hidden state (L2-resident), reducing with shuffles and then across
//   the 4 warps in shared memory; the block writes out[b, n, o0:o0+2] = queries[n, o] + ba[o] + proj[b, o] for all
//   b, n. (The first version gave each output one warp: 96 blocks of 8 warps for Dq = 768, too few warps in flight
//   to hide the loads on an H200: 0.031-0.035 ms at B = 8 against 0.014 for eager under CUDA graphs.)
// scatter_add: one launch, one block per hidden row (b, l): thread 0 finds the images covering the row once (shared
//   memory), then 4-element vector loads/stores add them; out-of-place copies every row with the span contributions
//   added, in place touches only rows inside a span. (The first version scanned every image for every element: the
//   H200 run timed it at 0.19 ms for 8 x 200 x 4096 bf16, ~30x the memory time.)
#include <string>

#include "cuda_common.cuh"

namespace calico {

namespace {

constexpr int kAdaptOut = 2;     // outputs of f_adaptation per block
constexpr int kAdaptSplit = 4;   // warps per output, each over a quarter of every 1024 columns
constexpr int kAdaptWarps = kAdaptOut * kAdaptSplit;
constexpr int kAdaptBatch = 8;   // batch rows per pass (accumulators per lane)

template <typename T>
__global__ void __launch_bounds__(kAdaptWarps * 32)
cam_adapt_kernel(const T* __restrict__ hidden, const int64_t* __restrict__ last_idx, const T* __restrict__ wa,
                 const T* __restrict__ ba, const T* __restrict__ queries, T* __restrict__ out, int64_t B, int64_t L,
                 int64_t D, int64_t Dq, int64_t Nq, int64_t hbs, int64_t hrs, int vec) {
    __shared__ float spart[kAdaptBatch][kAdaptWarps];  // per warp: its columns' share of each output
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int ol = warp / kAdaptSplit, part = warp % kAdaptSplit;
    const int64_t o0 = static_cast<int64_t>(blockIdx.x) * kAdaptOut;
    const int64_t o = o0 + ol;
    for (int64_t bc = 0; bc < B; bc += kAdaptBatch) {
        const int nb = static_cast<int>(min(static_cast<int64_t>(kAdaptBatch), B - bc));
        float acc[kAdaptBatch];
#pragma unroll
        for (int i = 0; i < kAdaptBatch; i++) acc[i] = 0.f;
        if (o < Dq) {
            const T* wrow = wa + o * D;
            const T* hrow[kAdaptBatch];
#pragma unroll
            for (int i = 0; i < kAdaptBatch; i++) {
                int64_t li = i < nb ? last_idx[bc + i] : 0;
                li = li < 0 ? 0 : (li >= L ? L - 1 : li);  // the Java side validated; never read out of bounds
                hrow[i] = hidden + (bc + (i < nb ? i : 0)) * hbs + li * hrs;
            }
            if (vec) {
                // 4 consecutive elements per lane and load, two loads in flight: a warp covers 256 columns of every
                // 1024 (D = 4096: 4 rounds per warp, the four warps of an output in parallel)
                for (int64_t c = part * 256 + lane * 4; c < D; c += kAdaptSplit * 256) {
                    const bool two = c + 128 < D;
                    float w0[4], w1[4] = {0.f, 0.f, 0.f, 0.f};
                    Vec4<T>::load(wrow + c, w0);
                    if (two) Vec4<T>::load(wrow + c + 128, w1);
#pragma unroll
                    for (int i = 0; i < kAdaptBatch; i++)
                        if (i < nb) {
                            float h0[4], h1[4] = {0.f, 0.f, 0.f, 0.f};
                            Vec4<T>::load(hrow[i] + c, h0);
                            if (two) Vec4<T>::load(hrow[i] + c + 128, h1);
                            float a = acc[i];
#pragma unroll
                            for (int e = 0; e < 4; e++) a = fmaf(w0[e], h0[e], fmaf(w1[e], h1[e], a));
                            acc[i] = a;
                        }
                }
            } else {
                for (int64_t c = part * 32 + lane; c < D; c += kAdaptSplit * 32) {
                    const float wv = CudaElem<T>::load(wrow + c);
#pragma unroll
                    for (int i = 0; i < kAdaptBatch; i++)
                        if (i < nb) acc[i] += wv * CudaElem<T>::load(hrow[i] + c);
                }
            }
        }
#pragma unroll
        for (int i = 0; i < kAdaptBatch; i++) {
            const float s = warp_sum(acc[i]);
            if (lane == 0) spart[i][warp] = s;
        }
        __syncthreads();
        const int64_t n_out = static_cast<int64_t>(nb) * Nq * kAdaptOut;
        for (int64_t e = threadIdx.x; e < n_out; e += blockDim.x) {
            const int eo = static_cast<int>(e % kAdaptOut);
            const int64_t bn = e / kAdaptOut;  // (i, n)
            const int i = static_cast<int>(bn / Nq);
            const int64_t n = bn % Nq;
            const int64_t oo = o0 + eo;
            if (oo < Dq) {
                float proj = 0.f;
#pragma unroll
                for (int p = 0; p < kAdaptSplit; p++) proj += spart[i][eo * kAdaptSplit + p];
                const float val = CudaElem<T>::load(queries + n * Dq + oo) + CudaElem<T>::load(ba + oo) + proj;
                CudaElem<T>::store(out + ((bc + i) * Nq + n) * Dq + oo, val);
            }
        }
        __syncthreads();
    }
}

constexpr int kScatterHits = 8;  // covering images kept in shared memory per row (more: the general loop)

template <typename T>
__global__ void cam_scatter_add_kernel(const T* hidden, T* out,  // may alias (in place)
                                       const T* __restrict__ proj,
                                       const int64_t* __restrict__ spans, int64_t L, int64_t D, int64_t nimg,
                                       int64_t nq, int inplace, int vec) {
    __shared__ int64_t s_src[kScatterHits];  // proj row offsets of the images covering this row
    __shared__ int s_hits;
    const int64_t r = blockIdx.x;
    const int64_t b = r / L, l = r % L;
    if (threadIdx.x == 0) {  // the span scan once per row, not once per element
        int hits = 0;
        for (int64_t j = 0; j < nimg; j++) {
            const int64_t st = spans[2 * j + 1];
            if (spans[2 * j] == b && l >= st && l < st + nq) {
                if (hits < kScatterHits) s_src[hits] = (j * nq + (l - st)) * D;
                hits++;
            }
        }
        s_hits = hits;
    }
    __syncthreads();
    const int hits = s_hits;
    if (hits == 0 && inplace) return;
    const T* hrow = hidden + r * D;
    T* orow = out + r * D;
    if (hits <= kScatterHits && vec) {  // 4 elements per thread and step (16-byte / 8-byte accesses)
        for (int64_t c = threadIdx.x * 4; c < D; c += blockDim.x * 4) {
            float acc[4], p[4];
            Vec4<T>::load(hrow + c, acc);
            for (int h = 0; h < hits; h++) {
                Vec4<T>::load(proj + s_src[h] + c, p);
#pragma unroll
                for (int e = 0; e < 4; e++) acc[e] += p[e];
            }
            Vec4<T>::store(orow + c, acc);
        }
        return;
    }
    for (int64_t c = threadIdx.x; c < D; c += blockDim.x) {
        float acc = CudaElem<T>::load(hrow + c);
        if (hits <= kScatterHits) {
            for (int h = 0; h < hits; h++) acc += CudaElem<T>::load(proj + s_src[h] + c);
        } else {
            for (int64_t j = 0; j < nimg; j++) {
                const int64_t st = spans[2 * j + 1];
                if (spans[2 * j] == b && l >= st && l < st + nq) acc += CudaElem<T>::load(proj + (j * nq + (l - st)) * D + c);
            }
        }
        CudaElem<T>::store(orow + c, acc);
    }
}

template <typename T>
int launch_adapt(int64_t hidden, int64_t last_idx, int64_t wa, int64_t ba, int64_t queries, int64_t out, int64_t B,
                 int64_t L, int64_t D, int64_t Dq, int64_t Nq, int64_t hbs, int64_t hrs, cudaStream_t st) {
    const int64_t blocks = (Dq + kAdaptOut - 1) / kAdaptOut;
    const int64_t va = sizeof(T) == 4 ? 16 : 8, es = static_cast<int64_t>(sizeof(T));
    const int vec = D % 4 == 0 && wa % va == 0 && hidden % va == 0 && (hrs * es) % va == 0 && (hbs * es) % va == 0 &&
                    (D * es) % va == 0;
    auto kfn = cam_adapt_kernel<T>;
    CALICO_LAUNCH(kfn, dim3(static_cast<unsigned>(blocks)), dim3(kAdaptWarps * 32), st,
                  reinterpret_cast<const T*>(hidden), reinterpret_cast<const int64_t*>(last_idx),
                  reinterpret_cast<const T*>(wa), reinterpret_cast<const T*>(ba), reinterpret_cast<const T*>(queries),
                  reinterpret_cast<T*>(out), B, L, D, Dq, Nq, hbs, hrs, vec);
    return check_launch("cam_adapt_kernel");
}

template <typename T>
int launch_scatter(int64_t hidden, int64_t out, int64_t proj, int64_t spans, int64_t B, int64_t L, int64_t D,
                   int64_t nimg, int64_t nq, cudaStream_t st) {
    const int64_t rows = B * L;
    if (rows > 2147483647LL) return set_error(CALICO_ERR_UNSUPPORTED, "cam_scatter_add_cuda: too many rows");
    const int64_t va = sizeof(T) == 4 ? 16 : 8;
    const int vec = D % 4 == 0 && hidden % va == 0 && out % va == 0 && (nimg == 0 || proj % va == 0);
    auto kfn = cam_scatter_add_kernel<T>;
    CALICO_LAUNCH(kfn, dim3(static_cast<unsigned>(rows)), dim3(256), st, reinterpret_cast<const T*>(hidden),
                  reinterpret_cast<T*>(out), reinterpret_cast<const T*>(proj),
                  reinterpret_cast<const int64_t*>(spans), L, D, nimg, nq, hidden == out ? 1 : 0, vec);
    return check_launch("cam_scatter_add_kernel");
}

}  // namespace

int cam_adapt_cuda(int device, int dtype, int64_t hidden, int64_t last_idx, int64_t wa, int64_t ba, int64_t queries, int64_t out,
                   int64_t B, int64_t L, int64_t D, int64_t Dq, int64_t Nq, int64_t hbs, int64_t hrs, int64_t stream) {
    CALICO_DEVICE_GUARD(device, "cam_adapt_cuda")
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return launch_adapt<float>(hidden, last_idx, wa, ba, queries, out, B, L, D, Dq, Nq, hbs, hrs, st);
        case CALICO_BF16:
            return launch_adapt<__nv_bfloat16>(hidden, last_idx, wa, ba, queries, out, B, L, D, Dq, Nq, hbs, hrs, st);
        case CALICO_F16: return launch_adapt<__half>(hidden, last_idx, wa, ba, queries, out, B, L, D, Dq, Nq, hbs, hrs, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "cam_adapt_cuda: unsupported dtype");
    }
}

int cam_scatter_add_cuda(int device, int dtype, int64_t hidden, int64_t out, int64_t proj, int64_t spans, int64_t B, int64_t L,
                         int64_t D, int64_t nimg, int64_t nq, int64_t stream) {
    CALICO_DEVICE_GUARD(device, "cam_scatter_add_cuda")
    cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    switch (dtype) {
        case CALICO_F32: return launch_scatter<float>(hidden, out, proj, spans, B, L, D, nimg, nq, st);
        case CALICO_BF16: return launch_scatter<__nv_bfloat16>(hidden, out, proj, spans, B, L, D, nimg, nq, st);
        case CALICO_F16: return launch_scatter<__half>(hidden, out, proj, spans, B, L, D, nimg, nq, st);
        default: return set_error(CALICO_ERR_UNSUPPORTED, "cam_scatter_add_cuda: unsupported dtype");
    }
}

}  // namespace calico
