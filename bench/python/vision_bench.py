"""Side-by-side CPU benchmark of the vision encoders: PyTorch eager (transformers) vs CALICO-JVM (JMH VisionBench).

  /work/venv/bin/python bench/python/vision_bench.py            # PyTorch only, prints ms/iter
  /work/venv/bin/python bench/python/vision_bench.py --jmh      # also runs the JMH class and prints Java/PyTorch ratios
                                                                  (build first: mvn -q install -DskipTests &&
                                                                   mvn -q -f bench/pom.xml package)
Shapes (random weights, eval, no_grad, attn_implementation="eager", torch.set_num_threads(THREADS)):
  qformer: Blip2QFormerModel(hidden 768, 12 layers, 12 heads, 3072, cross every 2, encoder 1408),
           query_embeds [2, 32, 768], encoder_hidden_states [2, 257, 1408]
  dinov2 : Dinov2WithRegistersModel(hidden 1024, 24 layers, 16 heads, mlp 4, image 518, patch 14, 4 registers),
           pixel_values [1, 3, 224, 224] (37x37 position grid interpolated to 16x16 every call, as upstream)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from transformers import Blip2QFormerConfig, Blip2QFormerModel, Dinov2WithRegistersConfig, Dinov2WithRegistersModel


def timeit(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), statistics.mean(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--jmh", action="store_true", help="also run JMH VisionBench and print the ratio")
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
    res = {}
    with torch.inference_mode():
        res["qformer"] = timeit(lambda: q(query_embeds=qe, encoder_hidden_states=enc), 3, a.iters * 3)
        res["dinov2"] = timeit(lambda: d(pixel_values=px), 2, a.iters)
    print("torch %s, transformers, threads=%d, dtype=%s" % (torch.__version__, torch.get_num_threads(), a.dtype))
    for k, (med, mean) in res.items():
        print("pytorch-eager %-8s median %8.2f ms/iter  mean %8.2f ms/iter" % (k, med, mean))
    sys.stdout.flush()
    if not a.jmh:
        return
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    env = dict(os.environ, CALICO_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    cmd = ["java", "-Dcalico.threads=%d" % a.threads, "-jar", a.jar, "VisionBench", "-f", "1", "-wi", "2", "-i", "3",
           "-p", "dtype=" + a.dtype, "-rf", "json", "-rff", out]
    print("running:", " ".join(cmd))
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(out) as f:
        jmh = json.load(f)
    for r in jmh:
        name = r["benchmark"].rsplit(".", 1)[1]
        ms = r["primaryMetric"]["score"]
        err = r["primaryMetric"]["scoreError"]
        py = res[name][0]
        print("calico-jvm    %-8s %8.2f +- %.2f ms/iter  | pytorch-eager median %8.2f ms/iter | ratio java/pytorch = %.3f"
              % (name, ms, err, py, ms / py))


if __name__ == "__main__":
    main()
