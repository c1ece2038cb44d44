// Minimal GPU check of cuda/skinny_gemm.cu (the file as is) against an fp64 host reference, with timing; this is
// the harness that ran on the lent H200 (2026-11-26). Build from the repository root:
//   nvcc -O3 -std=c++17 -arch=sm_90 -Ibench/cuda/min/shim -Icuda cuda/skinny_gemm.cu bench/cuda/min/skinny_gemm_min_check.cu -o t && ./t
// (shim/common.h stands in for src/main/cpp/common.h so that only the kernel file is needed.)
#include "cuda_common.cuh"
#include <cmath>
#include <random>
#include <vector>
namespace calico { int skinny_gemm_cuda(int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t); }
template <typename T> float h2f(T v) { return (float)v; }
int fails = 0;
template <typename T> void run(int dt, int M, int N, int K, bool tm) {
  std::mt19937 g(M * 31 + N); std::normal_distribution<float> nd;
  std::vector<T> x(M * K), w((size_t)N * K), y(M * N);
  for (auto& e : x) e = (T)nd(g); for (auto& e : w) e = (T)nd(g);
  T *dx, *dw, *dy; cudaMalloc(&dx, x.size() * sizeof(T)); cudaMalloc(&dw, w.size() * sizeof(T)); cudaMalloc(&dy, y.size() * sizeof(T));
  cudaMemcpy(dx, x.data(), x.size() * sizeof(T), cudaMemcpyHostToDevice); cudaMemcpy(dw, w.data(), w.size() * sizeof(T), cudaMemcpyHostToDevice);
  int rc = calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0); cudaDeviceSynchronize();
  cudaMemcpy(y.data(), dy, y.size() * sizeof(T), cudaMemcpyDeviceToHost);
  double worst = 0, sc = 0;
  for (int m = 0; m < M; m++) for (int n = 0; n < N; n++) { double r = 0;
    for (int k = 0; k < K; k++) r += (double)h2f(x[m * K + k]) * h2f(w[(size_t)n * K + k]);
    sc = fmax(sc, fabs(r)); worst = fmax(worst, fabs(h2f(y[m * N + n]) - r)); }
  double tol = dt == 0 ? 1e-5 * sc : dt == 2 ? sc / 128 : sc / 1024; bool ok = rc == 0 && worst <= tol; fails += !ok;
  printf("%s dt=%d M=%d N=%d K=%d err=%.3e tol=%.3e\n", ok ? "PASS" : "FAIL", dt, M, N, K, worst, tol);
  if (tm) { cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
    for (int i = 0; i < 10; i++) calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0);
    cudaEventRecord(a); for (int i = 0; i < 200; i++) calico::skinny_gemm_cuda(dt, (int64_t)dx, (int64_t)dw, (int64_t)dy, M, N, K, 0);
    cudaEventRecord(b); cudaEventSynchronize(b); float ms; cudaEventElapsedTime(&ms, a, b);
    printf("  %.1f us/call, %.0f GB/s\n", ms * 5, (double)N * K * sizeof(T) / (ms * 5e-6) / 1e9); }
  cudaFree(dx); cudaFree(dw); cudaFree(dy);
}
int main() {
  cudaDeviceProp p; if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return 2; printf("%s\n", p.name);
  int s[4][3] = {{1, 300, 64}, {3, 129, 1000}, {8, 37, 4097}, {1, 11008, 4096}};
  for (auto& c : s) { run<float>(0, c[0], c[1], c[2], c[1] > 9000); run<__nv_bfloat16>(2, c[0], c[1], c[2], c[1] > 9000); run<__half>(1, c[0], c[1], c[2], false); }
  printf("%s\n", fails ? "NOT OK" : "ALL PASS"); return fails;
}
