// device.cu -- CUDA availability probe; safe without a driver or GPU (returns 0 devices).
#include <cstdio>
#include <string>

#include "cuda_common.cuh"

extern "C" int calico_cuda_compiled(void) { return 1; }

extern "C" int calico_cuda_device_count(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky error
        return 0;
    }
    return n;
}

extern "C" const char* calico_cuda_status(void) {
    static thread_local std::string s;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();
        s = std::string("no CUDA device (") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")";
        return s.c_str();
    }
    if (n == 0) {
        s = "no CUDA device";
        return s.c_str();
    }
    s = std::to_string(n) + " CUDA device(s)";
    for (int i = 0; i < n; i++) {
        cudaDeviceProp p;
        if (cudaGetDeviceProperties(&p, i) == cudaSuccess) {
            char buf[256];
            std::snprintf(buf, sizeof buf, "; %d: %s sm_%d%d %.1f GiB", i, p.name, p.major, p.minor,
                          p.totalGlobalMem / 1073741824.0);
            s += buf;
        }
    }
    return s.c_str();
}
