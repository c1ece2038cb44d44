#!/usr/bin/env bash
# bench/gpu/check.sh [OUT] -- GPU check of CALICO's CUDA kernels on a machine with nvcc, an NVIDIA driver and
# PyTorch (Python); no Java and no network needed. Writes OUT/gpu-report.md and OUT/gpu-report.json (OUT defaults to
# $OUT, else target/gpu-check). Steps, each fail-soft and time-boxed (whole run designed for < 4 minutes on an H100):
#   1. build libcalico_kernels.so with CMake for this GPU's architecture only (direct nvcc/g++ if CMake is missing);
#   2. bench/gpu/check.py at real CALICO shapes, f32 and bf16 (+ one f16 case): parity against the PyTorch eager
#      composites, timing kernel path vs eager (CUDA events, warm-up, median); restarted with --resume if a CUDA
#      error poisons the context;
#   3. compute-sanitizer memcheck (and racecheck on the kernels with shared memory) on small shapes of every kernel,
#      PyTorch's caching allocator off so that every buffer is its own allocation;
#   4. the report.
# Environment: PYTHON (default python3), CHECK_ARCH (e.g. 90; default from nvidia-smi), CHECK_SKIP_RACECHECK=1,
# CHECK_BUILD=direct (skip CMake), CHECK_BUDGET_S (default 420: the sanitizer steps are skipped when they would not
# finish within it; the report says so).
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-${OUT:-$root/target/gpu-check}}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
PY="${PYTHON:-python3}"
t_start=$(date +%s)
logf="$out/check.log"
log() { echo "[check +$(( $(date +%s) - t_start ))s] $*" | tee -a "$logf"; }
json_str() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

export PATH="$PATH:/usr/local/cuda/bin"
nvcc_bin="$(command -v nvcc || true)"
sanitizer="$(command -v compute-sanitizer || ls /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null || true)"

# ---------------------------------------------------------------------------------------------- 0. environment
{
  echo "== nvidia-smi"; nvidia-smi 2>&1 | head -20
  echo "== nvcc"; "${nvcc_bin:-nvcc}" --version 2>&1 | tail -2
  echo "== python"; "$PY" -c "import torch, sys; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())" 2>&1
  echo "== compute-sanitizer"; [ -n "$sanitizer" ] && "$sanitizer" --version 2>&1 | tail -1 || echo "not found"
  echo "== cmake"; cmake --version 2>&1 | head -1 || echo "not found"
} > "$out/environment.txt" 2>&1
log "environment: $(grep -A1 '== python' "$out/environment.txt" | tail -1)"

# ---------------------------------------------------------------------------------------------- 1. build
arch="${CHECK_ARCH:-}"
if [ -z "$arch" ]; then
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
fi
[ -z "$arch" ] && arch=90
build="$out/build"
lib="$build/libcalico_kernels.so"
b_start=$(date +%s)
method=cmake
rm -f "$lib"
if [ -z "$nvcc_bin" ]; then
  log "build: nvcc not found"
elif command -v cmake >/dev/null 2>&1 && [ "${CHECK_BUILD:-cmake}" != direct ]; then
  log "build: cmake, sm_$arch"
  timeout 300 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCALICO_CUDA=ON -DCALICO_CUDA_EMU=OFF \
      -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DCMAKE_CUDA_ARCHITECTURES="${arch}-real" > "$out/build.log" 2>&1 &&
    timeout 300 cmake --build "$build" -j "$(nproc)" >> "$out/build.log" 2>&1
else
  method=direct
  log "build: no cmake, direct nvcc/g++, sm_$arch"
  mkdir -p "$build"
  objs=()
  pids=()
  for f in "$root"/src/main/cpp/*.cpp; do
    o="$build/$(basename "$f").o"; objs+=("$o")
    g++ -O3 -std=c++17 -fPIC -fopenmp -fno-math-errno -DCALICO_WITH_CUDA "-DCALICO_CUDA_ARCHS=\"${arch}-real\"" \
        -I"$root/src/main/cpp" -c "$f" -o "$o" >> "$out/build.log" 2>&1 & pids+=($!)
  done
  for f in "$root"/cuda/*.cu; do
    o="$build/$(basename "$f").o"; objs+=("$o")
    "$nvcc_bin" -O3 --use_fast_math -lineinfo -std=c++17 -Xcompiler -fPIC -gencode "arch=compute_${arch},code=sm_${arch}" \
        -DCALICO_WITH_CUDA "-DCALICO_CUDA_ARCHS=\"${arch}-real\"" -I"$root/src/main/cpp" -I"$root/cuda" -c "$f" -o "$o" \
        >> "$out/build.log" 2>&1 & pids+=($!)
  done
  okall=1
  for p in "${pids[@]}"; do wait "$p" || okall=0; done
  if [ "$okall" = 1 ]; then
    # nvcc links (it knows where its static runtime lives)
    "$nvcc_bin" -shared -o "$lib" "${objs[@]}" -cudart static -Xcompiler -fopenmp -lgomp -ldl -lrt -lpthread >> "$out/build.log" 2>&1
  fi
fi
b_secs=$(( $(date +%s) - b_start ))
if [ -f "$lib" ]; then
  log "build: ok in ${b_secs}s -> $lib"
  echo "{\"ok\": true, \"method\": \"$method\", \"arch\": \"sm_$arch\", \"seconds\": $b_secs}" > "$out/build.json"
else
  log "build: FAILED in ${b_secs}s (see build.log)"
  echo "{\"ok\": false, \"method\": \"$method\", \"arch\": \"sm_$arch\", \"seconds\": $b_secs, \"log_tail\": $(json_str "$(tail -20 "$out/build.log" 2>/dev/null)")}" > "$out/build.json"
  "$PY" "$root/bench/gpu/check.py" --report "$out" > /dev/null 2>&1
  exit 1
fi

# ---------------------------------------------------------------------------------------------- 2. parity + timing
status=0
resume=""
for attempt in 1 2 3 4; do
  log "parity + timing at real shapes (attempt $attempt)"
  timeout 240 "$PY" "$root/bench/gpu/check.py" --lib "$lib" --out "$out" --warmup 3 --iters 15 $resume 2>&1 | tee -a "$logf" "$out/run.log"
  rc=${PIPESTATUS[0]}
  echo "{\"rc\": $rc, \"attempt\": $attempt, \"tail\": $(json_str "$(tail -5 "$out/run.log")")}" > "$out/run.json"
  if [ "$rc" = 3 ]; then resume="--resume"; continue; fi
  if [ "$rc" = 124 ]; then log "parity + timing: timed out"; status=1; fi
  [ "$rc" != 0 ] && status=1
  break
done

# ---------------------------------------------------------------------------------------------- 3. sanitizer
san_json="$out/sanitizer.json"
echo "{}" > "$san_json"
record() {  # record TOOL TEXT
  "$PY" - "$san_json" "$1" "$2" <<'EOF'
import json, sys
p, tool, text = sys.argv[1:4]
d = json.load(open(p))
d[tool] = text
json.dump(d, open(p, "w"), indent=1)
EOF
}
run_sanitizer() {  # run_sanitizer TOOL KERNEL_FILTER OUTDIR TIMEOUT check.py-args...
  local tool="$1" filter="$2" dir="$3" tmo="$4"; shift 4
  local slog="$out/sanitizer-$tool.log"
  local fopt=(--kernel-name "kns=$filter")
  PYTORCH_NO_CUDA_MEMORY_CACHING=1 timeout "$tmo" "$sanitizer" --tool "$tool" --error-exitcode 99 "${fopt[@]}" \
      "$PY" "$root/bench/gpu/check.py" --lib "$lib" --out "$dir" --small --no-timing "$@" > "$slog" 2>&1
  local rc=$?
  if [ "$rc" != 0 ] && grep -q -i -E "unrecogni[sz]ed|unknown option|invalid option|not a valid" "$slog"; then
    log "sanitizer $tool: kernel filter not accepted, rerunning unfiltered"
    fopt=()
    PYTORCH_NO_CUDA_MEMORY_CACHING=1 timeout "$tmo" "$sanitizer" --tool "$tool" --error-exitcode 99 \
        "$PY" "$root/bench/gpu/check.py" --lib "$lib" --out "$dir" --small --no-timing "$@" > "$slog" 2>&1
    rc=$?
  fi
  local summary
  summary="$(grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$slog" | tail -1)"
  [ -z "$summary" ] && summary="no summary line (see sanitizer-$tool.log: $(tail -1 "$slog" | cut -c1-160))"
  local verdict="clean"
  [ "$rc" = 99 ] && verdict="ERRORS FOUND"
  [ "$rc" = 124 ] && verdict="timed out"
  [ "$rc" != 0 ] && [ "$rc" != 99 ] && [ "$rc" != 124 ] && verdict="exit $rc (check.py exit 1 = a small-shape parity failure)"
  log "sanitizer $tool: $verdict; $summary"
  record "$tool" "$verdict; rc=$rc; ${fopt[*]:-unfiltered}; $summary"
  [ "$rc" = 0 ] || status=1
}
budget="${CHECK_BUDGET_S:-420}"
left() { echo $(( budget - ($(date +%s) - t_start) )); }
if [ -z "$sanitizer" ]; then
  log "compute-sanitizer not found: skipped"
  record memcheck "not run: compute-sanitizer not found"
elif [ "$(left)" -lt 100 ]; then
  log "compute-sanitizer skipped: $(left)s left of CHECK_BUDGET_S=$budget"
  record memcheck "not run: time budget (CHECK_BUDGET_S=$budget) exhausted"
else
  t=$(( $(left) - 30 )); [ "$t" -gt 180 ] && t=180
  log "compute-sanitizer memcheck, small shapes, every kernel (timeout ${t}s)"
  run_sanitizer memcheck calico "$out/sanitizer" "$t"
  if [ "${CHECK_SKIP_RACECHECK:-0}" = 1 ]; then
    record racecheck "not run: CHECK_SKIP_RACECHECK=1"
  elif [ "$(left)" -lt 70 ]; then
    log "racecheck skipped: $(left)s left of CHECK_BUDGET_S=$budget"
    record racecheck "not run: time budget (CHECK_BUDGET_S=$budget) exhausted"
  else
    t=$(( $(left) - 20 )); [ "$t" -gt 120 ] && t=120
    log "compute-sanitizer racecheck, small shapes, shared-memory kernels, f32 (timeout ${t}s)"
    run_sanitizer racecheck calico "$out/racecheck" "$t" --dtypes f32 --ops mha,sam.,cam_injection.adapt,qformer
  fi
fi

# ---------------------------------------------------------------------------------------------- 4. report
"$PY" "$root/bench/gpu/check.py" --report "$out" | tee -a "$logf"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "done in $(( $(date +%s) - t_start ))s, status $status; report: $out/gpu-report.md"
exit "$status"
