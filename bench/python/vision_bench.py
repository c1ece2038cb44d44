"""Side-by-side CPU benchmark of the vision encoders: PyTorch eager (transformers) vs CALICO-JVM (JMH VisionBench).

  /work/venv/bin/python bench/python/vision_bench.py            # PyTorch only, prints ms/iter
  /work/venv/bin/python bench/python/vision_bench.py --jmh      # + JMH VisionBench in the same run, prints Java/PyTorch
                                                                  (build first: mvn -q install -DskipTests &&
                                                                   mvn -q -f bench/pom.xml package)
Shapes (random weights, eval, inference_mode, attn_implementation="eager", torch.set_num_threads(THREADS)):
  qformer: Blip2QFormerModel(hidden 768, 12 layers, 12 heads, 3072, cross every 2, encoder 1408),
           query_embeds [2, 32, 768], encoder_hidden_states [2, 257, 1408]
  dinov2 : Dinov2WithRegistersModel(hidden 1024, 24 layers, 16 heads, mlp 4, image 518, patch 14, 4 registers),
           pixel_values [1, 3, 224, 224] (37x37 position grid interpolated to 16x16 every call, as upstream)
Protocol: PyTorch samples, then JMH (single-shot, one forward per iteration), then PyTorch again, all one after the
other on the same machine with the same thread count. On a shared machine the per-iteration samples carry
contention spikes, so the script prints median and minimum of each side and both ratios (Java / PyTorch).
"""
import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from transformers import Blip2QFormerConfig, Blip2QFormerModel, Dinov2WithRegistersConfig, Dinov2WithRegistersModel


def samples(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--iters", type=int, default=10, help="timed forwards per model and PyTorch block")
    ap.add_argument("--jmh", action="store_true", help="also run JMH VisionBench and print the ratios")
    ap.add_argument("--jar", default="bench/target/benchmarks.jar")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dt = torch.float32 if a.dtype == "f32" else torch.bfloat16
    torch.manual_seed(0)
    q = Blip2QFormerModel(Blip2QFormerConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                             intermediate_size=3072, cross_attention_frequency=2,
                                             encoder_hidden_size=1408, attn_implementation="eager")).eval().to(dt)
    d = Dinov2WithRegistersModel(Dinov2WithRegistersConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                                            mlp_ratio=4, image_size=518, patch_size=14, num_register_tokens=4,
                                                            attn_implementation="eager")).eval().to(dt)
    qe = torch.randn(2, 32, 768).to(dt)
    enc = torch.randn(2, 257, 1408).to(dt)
    px = torch.randn(1, 3, 224, 224).to(dt)
    runs = {"qformer": lambda: q(query_embeds=qe, encoder_hidden_states=enc), "dinov2": lambda: d(pixel_values=px)}
    py = {k: [] for k in runs}

    def torch_block():
        # hold JMH's machine-wide lock while timing PyTorch, so no JMH run (ours or another) overlaps it
        with open("/tmp/jmh.lock", "a") as lock:
            while True:
                try:
                    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    print("JMH lock held by another benchmark, waiting 20 s")
                    sys.stdout.flush()
                    time.sleep(20)
            try:
                with torch.inference_mode():
                    for k, fn in runs.items():
                        py[k] += samples(fn, 3, a.iters)
            finally:
                fcntl.lockf(lock, fcntl.LOCK_UN)

    print("torch %s, transformers, threads=%d, dtype=%s" % (torch.__version__, torch.get_num_threads(), a.dtype))
    torch_block()
    java = {}
    if a.jmh:
        out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
        env = dict(os.environ, CALICO_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
        cmd = ["java", "-Dcalico.threads=%d" % a.threads, "-jar", a.jar, "VisionBench", "-f", "1", "-wi", "3", "-i", str(a.iters),
               "-p", "dtype=" + a.dtype, "-rf", "json", "-rff", out]
        print("running:", " ".join(cmd))
        sys.stdout.flush()
        for attempt in range(60):  # JMH holds a machine-wide lock (/tmp/jmh.lock): wait for other benchmarks
            r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode == 0:
                break
            if "Unable to acquire the JMH lock" not in r.stdout:
                sys.exit("JMH failed:\n" + r.stdout[-4000:])
            print("JMH lock held by another benchmark, waiting 20 s")
            sys.stdout.flush()
            time.sleep(20)
        else:
            sys.exit("JMH lock never became free")
        with open(out) as f:
            for r in json.load(f):
                name = r["benchmark"].rsplit(".", 1)[1]
                java[name] = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        torch_block()
    for k in runs:
        p = py[k]
        line = "%-8s pytorch-eager median %8.2f min %8.2f ms (n=%d)" % (k, statistics.median(p), min(p), len(p))
        if k in java:
            j = java[k]
            line += " | calico-jvm median %8.2f min %8.2f ms (n=%d) | java/pytorch median %.3f min %.3f" % (
                statistics.median(j), min(j), len(j), statistics.median(j) / statistics.median(p), min(j) / min(p))
        print(line)


if __name__ == "__main__":
    main()
