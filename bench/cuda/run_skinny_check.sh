#!/usr/bin/env bash
# Builds and runs bench/cuda/skinny_gemm_check.cu (GPU check of the CUDA skinny GEMM kernel). Needs nvcc and a GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp}
arch=${ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d . || echo 90)}
nvcc -O3 -std=c++17 -arch=sm_${arch} -DCALICO_WITH_CUDA -DCALICO_CUDA_ARCHS="\"${arch}\"" -Isrc/main/cpp -Icuda \
  -Xcompiler -fopenmp src/main/cpp/common.cpp src/main/cpp/skinny_gemm.cpp cuda/skinny_gemm.cu \
  bench/cuda/skinny_gemm_check.cu -o "$out/skinny_check" -ldl
"$out/skinny_check"
