#!/usr/bin/env bash
# Builds libcalico_cuda_emu.so: the CPU kernels plus the CUDA kernels (cuda/*.cu) compiled as C++ against
# cuda_emu.h, so that device code 1 runs the CUDA kernels' logic on the CPU. For checking kernels without a GPU:
#   bench/gpu/emu/build.sh [outdir] && python bench/gpu/check.py --emulate --lib <outdir>/libcalico_cuda_emu.so
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/target/cuda-emu}"
mkdir -p "$out"
srcs=()
for f in "$root"/src/main/cpp/*.cpp; do
  case "$f" in *jni*) continue ;; esac
  srcs+=("$f")
done
objs=()
for f in "${srcs[@]}" "$root"/cuda/attention.cu "$root"/cuda/attention_tc.cu "$root"/cuda/cam.cu "$root"/cuda/sam_upscale.cu "$root"/cuda/layer_norm.cu "$root"/cuda/skinny_gemm.cu "$here/emu_probe.cpp"; do
  o="$out/$(basename "$f").o"
  g++ -std=c++20 -O2 -fPIC -fopenmp -pthread -x c++ -DCALICO_WITH_CUDA -DCALICO_CUDA_EMU '-DCALICO_CUDA_ARCHS="emulated"' \
      -I"$here" -I"$root/src/main/cpp" -I"$root/cuda" -c "$f" -o "$o" &
  objs+=("$o")
  # two compiles at a time
  if (( $(jobs -r | wc -l) >= 2 )); then wait -n; fi
done
wait
g++ -shared -fopenmp -pthread -o "$out/libcalico_cuda_emu.so" "${objs[@]}"
echo "$out/libcalico_cuda_emu.so"
