// skinny_gemm_check.cu -- GPU check of cuda/skinny_gemm.cu against the CPU kernel (src/main/cpp/skinny_gemm.cpp)
// and an fp64 reference, plus a timing of the 1-row decode case at LLaMA-7B shapes next to cuBLAS-free baselines.
// Build and run on a machine with a GPU (see bench/cuda/run_skinny_check.sh):
//   nvcc -O3 -std=c++17 -arch=sm_90 -DCALICO_WITH_CUDA -DCALICO_CUDA_ARCHS='"90"' -Isrc/main/cpp -Icuda \
//        -Xcompiler -fopenmp src/main/cpp/common.cpp src/main/cpp/skinny_gemm.cpp cuda/skinny_gemm.cu \
//        bench/cuda/skinny_gemm_check.cu -o skinny_check -ldl && ./skinny_check
#include <cuda_runtime.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "common.h"

namespace calico {
int skinny_gemm_cpu(int dtype, int64_t x, int64_t w, int64_t y, int64_t M, int64_t N, int64_t K);
int skinny_gemm_cuda(int dtype, int64_t x, int64_t w, int64_t y, int64_t M, int64_t N, int64_t K, int64_t stream);
}

static int failures = 0;

static float to_f(int dt, const std::vector<uint16_t>& h, const std::vector<float>& f, size_t i) {
    if (dt == CALICO_F32) return f[i];
    return dt == CALICO_BF16 ? calico::bf16_to_f32(h[i]) : calico::f16_to_f32(h[i]);
}

static void run_case(int dt, int M, int64_t N, int64_t K, bool timeit) {
    std::mt19937 rng(M * 7919 + N);
    std::normal_distribution<float> nd;
    size_t es = dt == CALICO_F32 ? 4 : 2;
    std::vector<float> xf(M * K), wf(N * K), yf(M * N);
    std::vector<uint16_t> xh(M * K), wh(N * K), yh(M * N), ygh(M * N);
    std::vector<float> ygf(M * N);
    for (auto* v : {&xf, &wf})
        for (auto& e : *v) e = nd(rng);
    if (dt != CALICO_F32) {
        for (size_t i = 0; i < xf.size(); i++) xh[i] = dt == CALICO_BF16 ? calico::f32_to_bf16(xf[i]) : calico::f32_to_f16(xf[i]);
        for (size_t i = 0; i < wf.size(); i++) wh[i] = dt == CALICO_BF16 ? calico::f32_to_bf16(wf[i]) : calico::f32_to_f16(wf[i]);
    }
    const void* hx = dt == CALICO_F32 ? (const void*)xf.data() : (const void*)xh.data();
    const void* hw = dt == CALICO_F32 ? (const void*)wf.data() : (const void*)wh.data();
    void* hy = dt == CALICO_F32 ? (void*)yf.data() : (void*)yh.data();
    void* hgy = dt == CALICO_F32 ? (void*)ygf.data() : (void*)ygh.data();
    calico::skinny_gemm_cpu(dt, (int64_t)hx, (int64_t)hw, (int64_t)hy, M, N, K);
    void *dx, *dw, *dy;
    cudaMalloc(&dx, M * K * es);
    cudaMalloc(&dw, N * K * es);
    cudaMalloc(&dy, M * N * es);
    cudaMemcpy(dx, hx, M * K * es, cudaMemcpyHostToDevice);
    cudaMemcpy(dw, hw, N * K * es, cudaMemcpyHostToDevice);
    int rc = calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0);
    cudaError_t e = cudaDeviceSynchronize();
    if (rc != CALICO_OK || e != cudaSuccess) {
        printf("FAIL launch dt=%d M=%d N=%ld K=%ld rc=%d %s\n", dt, M, (long)N, (long)K, rc, cudaGetErrorString(e));
        failures++;
        return;
    }
    cudaMemcpy(hgy, dy, M * N * es, cudaMemcpyDeviceToHost);
    double worst_gpu = 0, worst_cpu = 0, scale = 0;
    for (int m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double ref = 0;
            for (int64_t k = 0; k < K; k++) ref += (double)to_f(dt, xh, xf, m * K + k) * to_f(dt, wh, wf, n * K + k);
            scale = std::fmax(scale, std::fabs(ref));
            double g = to_f(dt, ygh, ygf, m * N + n), c = to_f(dt, yh, yf, m * N + n);
            worst_gpu = std::fmax(worst_gpu, std::fabs(g - ref));
            worst_cpu = std::fmax(worst_cpu, std::fabs(c - ref));
        }
    double tol = dt == CALICO_F32 ? 1e-5 * scale : (dt == CALICO_BF16 ? scale / 128 : scale / 1024);
    bool ok = worst_gpu <= tol;
    if (!ok) failures++;
    printf("%s dt=%s M=%d N=%ld K=%ld  max|gpu-ref|=%.3e  max|cpu-ref|=%.3e  tol=%.3e  scale=%.1f\n", ok ? "PASS" : "FAIL",
           dt == CALICO_F32 ? "f32" : dt == CALICO_BF16 ? "bf16" : "f16", M, (long)N, (long)K, worst_gpu, worst_cpu, tol, scale);
    if (timeit) {
        cudaEvent_t a, b;
        cudaEventCreate(&a);
        cudaEventCreate(&b);
        for (int i = 0; i < 10; i++) calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0);
        cudaEventRecord(a);
        const int reps = 200;
        for (int i = 0; i < reps; i++) calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0);
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms = 0;
        cudaEventElapsedTime(&ms, a, b);
        double us = ms * 1000.0 / reps, gbs = (double)N * K * es / (us * 1e-6) / 1e9;
        printf("  time %.1f us/call  (%.0f GB/s of weights)\n", us, gbs);
    }
    cudaFree(dx);
    cudaFree(dw);
    cudaFree(dy);
}

int main() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        printf("no CUDA device\n");
        return 2;
    }
    cudaDeviceProp p;
    cudaGetDeviceProperties(&p, 0);
    printf("device: %s (sm_%d%d)\n", p.name, p.major, p.minor);
    for (int dt : {CALICO_F32, CALICO_BF16, CALICO_F16}) {
        run_case(dt, 1, 300, 64, false);
        run_case(dt, 3, 129, 1000, false);
        run_case(dt, 8, 37, 4097, false);
        run_case(dt, 1, 11008, 4096, true);
        run_case(dt, 2, 4096, 11008, true);
    }
    printf("%s: %d failure(s)\n", failures ? "NOT OK" : "OK", failures);
    return failures ? 1 : 0;
}
