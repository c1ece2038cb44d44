#!/usr/bin/env bash
# Side-by-side SAM benchmark on this machine: JMH (Java, SamEncoderBench + SamDecoderBench) and the upstream-equivalent
# PyTorch eager script (bench/python/sam_bench.py), same shapes, same thread count; prints ms/iter and Java/PyTorch.
#   bench/sam_side_by_side.sh [THREADS] [BLAS_THREADS] [PYTHON]   (defaults: 2, = THREADS, /work/venv/bin/python)
# BLAS_THREADS sets OpenBLAS's own pool in the Java run (-Dcalico.blas.threads); see docs/performance.md (SAM).
# Build first: mvn -q install -DskipTests && mvn -q -f bench/pom.xml package
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
threads="${1:-2}"
blas="${2:-$threads}"
python="${3:-/work/venv/bin/python}"
cores="$(nproc --all)"
out="$here/target/sam-jmh-t${threads}-b${blas}.json"
export CALICO_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
echo "== $(date -u +%FT%TZ) $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg), threads $threads, Java OpenBLAS threads $blas"
java -Djmh.ignoreLock=true -jar "$here/target/benchmarks.jar" 'Sam(Encoder|Decoder)Bench' -f 1 -wi 1 -i 3 \
  -jvmArgsAppend "-Dcalico.threads=$threads -Dcalico.blas.threads=$blas" -rf json -rff "$out" | grep -E '^(Benchmark|Sam)'
echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$here/python/sam_bench.py" --threads "$threads" --jmh-json "$out"
