#!/usr/bin/env python3
"""Side-by-side SAM benchmark: upstream-equivalent PyTorch eager vs CALICO for the JVM.

The `segment_anything` package is not installed here (no internet) and its code is not copied into this repository.
The modules below are an *upstream-equivalent PyTorch eager* construction written with plain torch.nn following the
structure and the operations of segment-anything@dca509f (modeling/image_encoder.py, transformer.py, mask_decoder.py,
prompt_encoder.py): ViT blocks with window partition/padding, qkv attention with `(q*scale) @ k^T`, decomposed
relative-position bias via einsum on the unscaled q, softmax, `@ v`; the neck with LayerNorm2d spelled out; the
TwoWayTransformer with explicit attention; the mask decoder with `repeat_interleave` of the image embedding,
ConvTranspose2d upscaling and the hypernetwork matmul. Same shapes as the Java JMH benchmark (SamBench), random weights.

Usage (same machine, same threads as the JMH run):
  /work/venv/bin/python bench/python/sam_bench.py --threads 2 [--jmh-json bench/target/sam-jmh.json]
With --jmh-json it reads the JMH results (java -jar bench/target/benchmarks.jar SamBench -rf json -rff FILE) and prints
ms/iter for Java and PyTorch and the ratio Java/PyTorch per case (target <= 1.0).
"""
import argparse
import json
import math
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------- image encoder (ViT)
class LayerNorm2dEq(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


def rel_pos_table(q_size, k_size, table):
    # tables already have 2*size-1 rows for the released configs (no interpolation)
    q = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    rel = (q - k) + (k_size - 1) * max(q_size / k_size, 1.0)
    return table[rel.long()]


class ViTAttentionEq(nn.Module):
    def __init__(self, dim, heads, size):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * size - 1, dim // heads))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * size - 1, dim // heads))

    def forward(self, x):
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, b * self.heads, h * w, -1).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        rh, rw = rel_pos_table(h, h, self.rel_pos_h), rel_pos_table(w, w, self.rel_pos_w)
        rq = q.reshape(b * self.heads, h, w, -1)
        rel_h = torch.einsum("bhwc,hkc->bhwk", rq, rh)
        rel_w = torch.einsum("bhwc,wkc->bhwk", rq, rw)
        attn = (attn.view(-1, h, w, h, w) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).view(-1, h * w, h * w)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).view(b, self.heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
        return self.proj(x)


class ViTBlockEq(nn.Module):
    def __init__(self, dim, heads, window, grid):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = ViTAttentionEq(dim, heads, window if window > 0 else grid)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.window = window

    def forward(self, x):
        shortcut = x
        x = self.norm1(x)
        if self.window > 0:
            b, h, w, c = x.shape
            ws = self.window
            ph, pw = (ws - h % ws) % ws, (ws - w % ws) % ws
            if ph or pw:
                x = F.pad(x, (0, 0, 0, pw, 0, ph))
            hp, wp = h + ph, w + pw
            x = x.view(b, hp // ws, ws, wp // ws, ws, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, c)
            x = self.attn(x)
            x = x.view(b, hp // ws, wp // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).contiguous().view(b, hp, wp, -1)
            if hp > h or wp > w:
                x = x[:, :h, :w, :].contiguous()
        else:
            x = self.attn(x)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class ImageEncoderEq(nn.Module):
    def __init__(self, img=1024, patch=16, dim=768, depth=12, heads=12, window=14, global_idx=(2, 5, 8, 11), out=256):
        super().__init__()
        g = img // patch
        self.patch = nn.Conv2d(3, dim, patch, patch)
        self.pos_embed = nn.Parameter(torch.randn(1, g, g, dim) * 0.02)
        self.blocks = nn.ModuleList([ViTBlockEq(dim, heads, 0 if i in global_idx else window, g) for i in range(depth)])
        self.neck = nn.Sequential(nn.Conv2d(dim, out, 1, bias=False), LayerNorm2dEq(out), nn.Conv2d(out, out, 3, padding=1, bias=False),
                                  LayerNorm2dEq(out))

    def forward(self, x):
        x = self.patch(x).permute(0, 2, 3, 1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.neck(x.permute(0, 3, 1, 2))


# ----------------------------------------------------------------------------------------------- mask decoder
class AttnEq(nn.Module):
    def __init__(self, dim, heads, down=1):
        super().__init__()
        inner = dim // down
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(dim, inner), nn.Linear(dim, inner), nn.Linear(dim, inner)
        self.out_proj = nn.Linear(inner, dim)

    def _sep(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, q, k, v):
        q, k, v = self._sep(self.q_proj(q)), self._sep(self.k_proj(k)), self._sep(self.v_proj(v))
        attn = q @ k.permute(0, 1, 3, 2) / math.sqrt(q.shape[-1])
        out = torch.softmax(attn, dim=-1) @ v
        b, h, n, c = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, n, h * c))


class TwoWayBlockEq(nn.Module):
    def __init__(self, dim, heads, mlp, skip_pe):
        super().__init__()
        self.self_attn, self.norm1 = AttnEq(dim, heads), nn.LayerNorm(dim)
        self.cross_t2i, self.norm2 = AttnEq(dim, heads, 2), nn.LayerNorm(dim)
        self.mlp, self.norm3 = nn.Sequential(nn.Linear(dim, mlp), nn.ReLU(), nn.Linear(mlp, dim)), nn.LayerNorm(dim)
        self.norm4, self.cross_i2t = nn.LayerNorm(dim), AttnEq(dim, heads, 2)
        self.skip_pe = skip_pe

    def forward(self, queries, keys, qpe, kpe):
        if self.skip_pe:
            queries = self.self_attn(queries, queries, queries)
        else:
            q = queries + qpe
            queries = queries + self.self_attn(q, q, queries)
        queries = self.norm1(queries)
        q, k = queries + qpe, keys + kpe
        queries = self.norm2(queries + self.cross_t2i(q, k, keys))
        queries = self.norm3(queries + self.mlp(queries))
        q, k = queries + qpe, keys + kpe
        keys = self.norm4(keys + self.cross_i2t(k, q, queries))
        return queries, keys


class MaskDecoderEq(nn.Module):
    def __init__(self, dim=256, depth=2, heads=8, mlp=2048, multimask=3):
        super().__init__()
        self.layers = nn.ModuleList([TwoWayBlockEq(dim, heads, mlp, i == 0) for i in range(depth)])
        self.final_attn, self.norm_final = AttnEq(dim, heads, 2), nn.LayerNorm(dim)
        self.k = multimask + 1
        self.iou_token, self.mask_tokens = nn.Embedding(1, dim), nn.Embedding(self.k, dim)
        self.up = nn.Sequential(nn.ConvTranspose2d(dim, dim // 4, 2, 2), LayerNorm2dEq(dim // 4), nn.GELU(),
                                nn.ConvTranspose2d(dim // 4, dim // 8, 2, 2), nn.GELU())
        mlp3 = lambda o: nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, o))
        self.hyper = nn.ModuleList([mlp3(dim // 8) for _ in range(self.k)])
        self.iou_head = mlp3(self.k)

    def forward(self, image, pe, sparse, dense, multimask):
        out = torch.cat([self.iou_token.weight, self.mask_tokens.weight], 0).unsqueeze(0).expand(sparse.size(0), -1, -1)
        tokens = torch.cat((out, sparse), 1)
        src = torch.repeat_interleave(image, tokens.shape[0], dim=0) + dense
        pos = torch.repeat_interleave(pe, tokens.shape[0], dim=0)
        b, c, h, w = src.shape
        keys, kpe, queries = src.flatten(2).permute(0, 2, 1), pos.flatten(2).permute(0, 2, 1), tokens
        for layer in self.layers:
            queries, keys = layer(queries, keys, tokens, kpe)
        q, k = queries + tokens, keys + kpe
        queries = self.norm_final(queries + self.final_attn(q, k, keys))
        up = self.up(keys.transpose(1, 2).view(b, c, h, w))
        hyper = torch.stack([self.hyper[i](queries[:, 1 + i, :]) for i in range(self.k)], 1)
        b, c, h, w = up.shape
        masks = (hyper @ up.view(b, c, h * w)).view(b, -1, h, w)
        iou = self.iou_head(queries[:, 0, :])
        sl = slice(1, None) if multimask else slice(0, 1)
        return masks[:, sl], iou[:, sl]


def verify(parity_dir):
    """Loads the upstream parity fixtures into the equivalent modules above and checks they reproduce upstream."""
    from safetensors.torch import load_file
    import re

    def rename(sd, rules):
        out = {}
        for k, v in sd.items():
            for a, b in rules:
                k = re.sub(a, b, k)
            out[k] = v
        return out

    case = os.path.join(parity_dir, "sam_image_encoder")
    enc = ImageEncoderEq(img=256, patch=16, dim=64, depth=4, heads=4, window=4, global_idx=(1, 3), out=256).eval()
    enc.load_state_dict(rename(load_file(os.path.join(case, "weights.safetensors")),
                               [(r"^patch_embed\.proj\.", "patch."), (r"\.mlp\.lin1\.", ".mlp.0."), (r"\.mlp\.lin2\.", ".mlp.2.")]))
    io = load_file(os.path.join(case, "io.safetensors"))
    with torch.no_grad():
        e1 = (enc(io["x"]) - io["image_embeddings"]).abs().max().item()
    case = os.path.join(parity_dir, "sam_mask_decoder")
    dec = MaskDecoderEq().eval()
    dec.load_state_dict(rename(load_file(os.path.join(case, "weights.safetensors")), [
        (r"^transformer\.final_attn_token_to_image\.", "final_attn."), (r"^transformer\.norm_final_attn\.", "norm_final."),
        (r"^transformer\.", ""), (r"cross_attn_token_to_image", "cross_t2i"), (r"cross_attn_image_to_token", "cross_i2t"),
        (r"\.mlp\.lin1\.", ".mlp.0."), (r"\.mlp\.lin2\.", ".mlp.2."), (r"^output_upscaling\.", "up."),
        (r"^output_hypernetworks_mlps\.", "hyper."), (r"^iou_prediction_head\.", "iou_head."),
        (r"\.layers\.0\.(weight|bias)$", r".0.\1"), (r"\.layers\.1\.(weight|bias)$", r".2.\1"), (r"\.layers\.2\.(weight|bias)$", r".4.\1")]))
    io = load_file(os.path.join(case, "io.safetensors"))
    with torch.no_grad():
        m, i = dec(io["image_embeddings"], io["image_pe"], io["sparse_prompt_embeddings"], io["dense_prompt_embeddings"], True)
    e2 = max((m - io["low_res_masks_multi"]).abs().max().item(), (i - io["iou_predictions_multi"]).abs().max().item())
    print(f"verify: upstream-equivalent modules vs upstream fixtures: encoder max|diff| {e1:.2e}, decoder {e2:.2e}")
    assert e1 < 1e-4 and e2 < 1e-4, "the benchmark modules do not reproduce upstream"


def timeit(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.mean(ts), ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=int(os.environ.get("CALICO_THREADS", "2")))
    ap.add_argument("--encoder-warmup", type=int, default=1)
    ap.add_argument("--encoder-iters", type=int, default=3)
    ap.add_argument("--decoder-warmup", type=int, default=3)
    ap.add_argument("--decoder-iters", type=int, default=10)
    ap.add_argument("--prompts", default="1,8,32")
    ap.add_argument("--skip-encoder", action="store_true")
    ap.add_argument("--jmh-json", help="JMH result file (-rf json) of SamBench to compare against")
    ap.add_argument("--verify", metavar="PARITY_DIR", help="first check the modules against ../shared/parity sam_* fixtures")
    a = ap.parse_args()
    if a.verify:
        verify(a.verify)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"upstream-equivalent PyTorch eager: torch {torch.__version__}, {a.threads} thread(s), {platform.processor() or platform.machine()}")
    results = {}
    with torch.no_grad():
        if not a.skip_encoder:
            enc = ImageEncoderEq().eval()
            x = torch.randn(1, 3, 1024, 1024)
            m, ts = timeit(lambda: enc(x), a.encoder_warmup, a.encoder_iters)
            results["encoder_vitb_1024"] = m
            print(f"encoder ViT-B 1024x1024: {m:.1f} ms/iter  (runs: {', '.join(f'{t:.0f}' for t in ts)})")
            del enc
        dec = MaskDecoderEq().eval()
        image, pe = torch.randn(1, 256, 64, 64), torch.randn(1, 256, 64, 64)
        no_mask = torch.randn(1, 256, 1, 1)
        for n in [int(v) for v in a.prompts.split(",")]:
            sparse = torch.randn(n, 1, 256)                                   # [SEG]-style text prompts
            dense = no_mask.expand(n, -1, 64, 64)                            # no_mask_embed broadcast, as the prompt encoder
            m, ts = timeit(lambda: dec(image, pe, sparse, dense, False), a.decoder_warmup, a.decoder_iters)
            results[f"decoder_{n}"] = m
            print(f"decoder, {n} prompt(s): {m:.1f} ms/iter  (min {min(ts):.1f})")
    if a.jmh_json:
        with open(a.jmh_json) as f:
            jmh = json.load(f)
        java = {}
        for r in jmh:
            name = r["benchmark"].rsplit(".", 1)[-1]
            score = r["primaryMetric"]["score"]
            unit = r["primaryMetric"]["scoreUnit"]
            ms = score * {"ms/op": 1.0, "s/op": 1e3, "us/op": 1e-3}[unit]
            if name == "encoderVitB1024":
                java["encoder_vitb_1024"] = ms
            elif name == "decoder":
                java[f"decoder_{r['params']['prompts']}"] = ms
        print()
        print(f"{'case':<22} {'Java ms':>10} {'PyTorch ms':>11} {'Java/PyTorch':>13}")
        for k, v in results.items():
            if k in java:
                print(f"{k:<22} {java[k]:>10.1f} {v:>11.1f} {java[k] / v:>13.2f}")


if __name__ == "__main__":
    main()
