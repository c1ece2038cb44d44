// cuda_stub.cpp -- CUDA probe when the library is built without nvcc.
#include "common.h"

#ifndef CALICO_WITH_CUDA
extern "C" int calico_cuda_compiled(void) { return 0; }
extern "C" int calico_cuda_device_count(void) { return 0; }
extern "C" const char* calico_cuda_status(void) { return "CUDA kernels not compiled (nvcc was not found at build time)"; }
#endif
