#!/usr/bin/env python3
"""PyTorch eager side of LlamaLayerBench: one transformers LlamaDecoderLayer (eager attention) with LLaMA-7B shapes
(hidden 4096, intermediate 11008, 32 heads), random weights, CPU. Measures a 100-token causal prefill and a 1-token
decode step over a 100-token DynamicCache (cropped back to 100 after every step), fp32 and bf16, under no_grad.
Reference only (never at run time).

  OMP_NUM_THREADS=2 /work/venv/bin/python bench/python/llama_layer_bench.py --threads 2
"""
import argparse
import statistics
import time

import torch
from transformers import LlamaConfig
from transformers.cache_utils import DynamicCache
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRotaryEmbedding

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--warmup", type=float, default=4.0, help="seconds")
ap.add_argument("--measure", type=float, default=9.0, help="seconds")
args = ap.parse_args()
torch.set_num_threads(args.threads)

cfg = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32,
                  num_hidden_layers=1, rms_norm_eps=1e-5, max_position_embeddings=4096, vocab_size=32000)
cfg._attn_implementation = "eager"
N = 100


def timeit(fn, warm, meas):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warm:
        fn()
    samples = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < meas:
        s = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - s)
    return statistics.mean(samples) * 1e3, len(samples)


for dtype in (torch.float32, torch.bfloat16):
    torch.manual_seed(0)
    layer = LlamaDecoderLayer(cfg, layer_idx=0).to(dtype).eval()
    rope = LlamaRotaryEmbedding(cfg)
    x = torch.randn(1, N, 4096).to(dtype)
    xs = torch.randn(1, 1, 4096).to(dtype)
    pos = torch.arange(N)[None]
    pe = rope(x, pos)
    pes = rope(xs, torch.tensor([[N]]))
    mask = torch.full((N, N), torch.finfo(dtype).min, dtype=dtype).triu(1)[None, None]
    with torch.no_grad():
        cache = DynamicCache(config=cfg)
        layer(x, attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True, position_embeddings=pe)

        def prefill():
            layer(x, attention_mask=mask, position_ids=pos, past_key_values=None, use_cache=False, position_embeddings=pe)

        def step():
            layer(xs, attention_mask=None, position_ids=torch.tensor([[N]]), past_key_values=cache, use_cache=True,
                  position_embeddings=pes)
            cache.crop(N)

        for name, fn in (("prefill100", prefill), ("decodeStep", step)):
            ms, n = timeit(fn, args.warmup, args.measure)
            print(f"pytorch-eager {name:11s} {str(dtype).replace('torch.', ''):9s} {ms:9.2f} ms/op  (n={n}, threads={args.threads}, torch {torch.__version__})")
