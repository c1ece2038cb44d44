#!/usr/bin/env bash
# Side by side: alternates the PyTorch eager script and the JMH LlamaLayerBench ROUNDS times on the same machine and
# prints each round's numbers and Java/PyTorch ratios (the machine is shared; alternating rounds expose the noise).
#   bash bench/python/llama_layer_compare.sh [ROUNDS] [THREADS]
# Needs: mvn -q install -DskipTests && mvn -q -f bench/pom.xml package; /work/venv/bin/python (torch, transformers).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
THREADS=${2:-2}
PY=${PYTHON:-/work/venv/bin/python}
for r in $(seq 1 "$ROUNDS"); do
  py=$(OMP_NUM_THREADS=$THREADS "$PY" bench/python/llama_layer_bench.py --threads "$THREADS" --warmup 3 --measure 8 2>/dev/null | grep pytorch-eager)
  jm=$(OPENBLAS_NUM_THREADS=$THREADS CALICO_THREADS=$THREADS java -Djmh.ignoreLock=true -jar bench/target/benchmarks.jar LlamaLayerBench -f 1 -wi 2 -i 3 2>/dev/null | grep -E '^LlamaLayerBench\.')
  echo "== round $r ($(date -u +%H:%M:%S))"
  echo "$py"
  echo "$jm"
  for op in prefill100 decodeStep; do
    for dt in f32 bf16; do
      pdt=$([[ $dt == f32 ]] && echo float32 || echo bfloat16)
      p=$(echo "$py" | awk -v op="$op" -v dt="$pdt" '$2==op && $3==dt {print $4}')
      j=$(echo "$jm" | awk -v op="LlamaLayerBench.$op" -v dt="$dt" '$1==op && $2==dt {print $5}')
      echo "ratio $op $dt java/pytorch = $(awk -v j="$j" -v p="$p" 'BEGIN{printf "%.2f", j/p}')  (java $j ms, pytorch $p ms)"
    done
  done
done
