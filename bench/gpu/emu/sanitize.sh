#!/usr/bin/env bash
# sanitize.sh -- the CPU-emulated CUDA kernel check (calico_cuda_emu_test: every CUDA kernel against its CPU kernel,
# see CalicoCudaEmu.cmake) built and run under sanitizers, as a stand-in for compute-sanitizer where no GPU exists:
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer: out-of-bounds global or __shared__ accesses (the emulation
#         maps __shared__ to static arrays and device memory to host memory, so both get red zones) and undefined
#         behaviour in the index arithmetic: the emulation's memcheck.
#   tsan  ThreadSanitizer: every CUDA thread of a block is a std::thread, so a missing __syncthreads/__syncwarp
#         between a shared-memory write and another thread's read is a data race: the emulation's racecheck.
#         (Checked: deleting one __syncthreads in attention_tc.cu or cam.cu gives 44 and 8 race reports.)
# What it cannot see: the GPU memory model beyond block barriers, real warp scheduling, timing (bench/gpu/check.sh).
#
# usage: bench/gpu/emu/sanitize.sh [asan|tsan|all] [build-root]   (default: all, target/emu-sanitize)
# Prints one line per sanitizer, "<kind>: N cases, 0 failures, 0 sanitizer reports"; exit 0 only when all are clean.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
which="${1:-all}"
broot="${2:-$root/target/emu-sanitize}"
case "$which" in asan) kinds=(asan) ;; tsan) kinds=(tsan) ;; all) kinds=(asan tsan) ;;
  *) echo "usage: $0 [asan|tsan|all] [build-root]" >&2; exit 2 ;; esac
jobs="$(nproc 2>/dev/null || echo 2)"
status=0
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan) flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
          env_run=(env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1) ;;
    tsan) flags="-fsanitize=thread -g -O1"
          env_run=(env TSAN_OPTIONS=halt_on_error=0:report_signal_unsafe=0) ;;
  esac
  bdir="$broot/$kind"
  log="$bdir/build.log"
  mkdir -p "$bdir"
  if ! { cmake -S "$root" -B "$bdir" -DCALICO_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="${flags%% -g*}" -DCMAKE_SHARED_LINKER_FLAGS="${flags%% -g*}" \
         && cmake --build "$bdir" --target calico_cuda_emu_test -j "$jobs"; } >"$log" 2>&1; then
    echo "$kind: build failed (log: $log)"; tail -20 "$log"; status=1; continue
  fi
  exe="$bdir/calico_cuda_emu_test"
  if [[ ! -x "$exe" ]]; then echo "$kind: calico_cuda_emu_test not built (GCC >= 11 needed; log: $log)"; status=1; continue; fi
  out="$bdir/run.txt"
  OMP_NUM_THREADS=1 "${env_run[@]}" "$exe" >"$out" 2>&1
  rc=$?
  if [[ "$kind" == tsan ]] && grep -q "unexpected memory mapping\|failed to allocate\|FATAL: ThreadSanitizer" "$out" \
     && command -v setarch >/dev/null; then
    # TSan's shadow layout can clash with high ASLR entropy on some kernels: retry without address randomisation
    OMP_NUM_THREADS=1 setarch "$(uname -m)" -R "${env_run[@]}" "$exe" >"$out" 2>&1
    rc=$?
  fi
  last="$(grep -E '^[0-9]+ cases, [0-9]+ failures$' "$out" | tail -1)"
  reports="$(grep -cE 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$out")"
  echo "$kind: ${last:-no summary line (exit $rc)}, $reports sanitizer reports (output: $out)"
  if [[ $rc -ne 0 || -z "$last" || "$last" != *" 0 failures" || "$reports" -ne 0 ]]; then
    grep -m 3 -A 12 -E 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|^FAIL' "$out"
    status=1
  fi
done
exit $status
