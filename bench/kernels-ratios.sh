#!/usr/bin/env bash
# bench/kernels-ratios.sh [dtype] [threads] [extra JMH args...]
# Runs KernelsBench once per op (so that torchComposite and nativeKernel of an op run back to back, seconds apart,
# instead of minutes apart in one JMH run over all ops: on a shared machine load drifts) and prints composite/native
# per op. Build first: mvn -q install -DskipTests && mvn -q -f bench/pom.xml package
set -euo pipefail
cd "$(dirname "$0")/.."
dtype="${1:-f32}"
threads="${2:-1}"
shift $(( $# > 2 ? 2 : $# ))
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
for op in qformer cem cam_adapt cam_reintegrate sam_t2i sam_i2t sam_masks; do
  java -Djmh.ignoreLock=true -cp bench/target/benchmarks.jar org.calico.bench.KernelRatios KernelsBench \
      -f 1 -wi 3 -i 5 -w 1 -r 2 -p op="$op" -p dtype="$dtype" -jvmArgsAppend "-Dcalico.threads=$threads" "$@" \
      | grep -E '^KernelsBench '
done
