#!/usr/bin/env python3
"""GPU check of CALICO's custom-op kernels: parity against PyTorch eager composites at real CALICO shapes, timing
(kernel path vs eager composite, CUDA events, warm-up, median), and a report.

    python3 bench/gpu/check.py --lib build/libcalico_kernels.so --out OUT             # CUDA, real shapes
    python3 bench/gpu/check.py --lib ... --out OUT --small --no-timing               # small shapes (sanitizer run)
    python3 bench/gpu/check.py --lib target/native/libcalico_kernels.so --device cpu # CPU kernels, same binding
    python3 bench/gpu/check.py --lib target/cuda-emu/libcalico_cuda_emu.so --emulate # CUDA kernels, CPU emulation
    python3 bench/gpu/check.py --report OUT                                          # (re)write OUT/gpu-report.md

Each case runs in try/except and appends one JSON line to OUT/results.jsonl, so a failing op never stops the others.
A CUDA error that poisons the context makes the script exit with code 3 after recording it; check.sh then restarts it
with --resume, which skips the cases already recorded. Exit code: 0 all pass, 1 some case failed, 3 restart needed.
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels as K  # noqa: E402
import reference as R  # noqa: E402

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


# ---------------------------------------------------------------------------------------------------------- inputs

class Gen:
    """Seeded random inputs on the check device, generated in fp32 and cast (so every dtype sees the same values)."""

    def __init__(self, seed, device, dtype):
        self.g = torch.Generator(device="cpu").manual_seed(seed)
        self.device, self.dtype = device, dtype

    def t(self, *shape, scale=1.0, shift=0.0):
        x = torch.randn(*shape, generator=self.g) * scale + shift
        return x.to(device=self.device, dtype=self.dtype)

    def lin(self, out, inp):
        return self.t(out, inp, scale=inp ** -0.5), self.t(out, scale=0.05)


def f32(obj):
    if torch.is_tensor(obj):
        return obj.float() if obj.is_floating_point() else obj
    if isinstance(obj, dict):
        return {k: f32(v) for k, v in obj.items()}
    return obj


# ---------------------------------------------------------------------------------------------------------- cases
# Every builder returns: shape label, native callable, eager callable (same dtype), fp32 reference callable, and
# optionally ("kernel" timing) the fused kernel alone vs the eager code it replaces, on identical inputs.

def with_env(name, value, fn):
    """fn run with the environment variable name=value (read by the native library at each call), then restored."""
    def run():
        old = os.environ.get(name)
        os.environ[name] = value
        try:
            return fn()
        finally:
            if old is None:
                del os.environ[name]
            else:
                os.environ[name] = old
    return run


TC_VARIANT = "tensor-core attention (CALICO_MHA_TC=1; BF16/F16, >= 64 queries)"


def tc_variant(like, fn):
    """{TC_VARIANT: fn under CALICO_MHA_TC=1} for BF16/F16 inputs; nothing for F32, where the switch changes nothing
    and the variant would only repeat the native op's timing."""
    return {} if like.dtype == torch.float32 else {TC_VARIANT: with_env("CALICO_MHA_TC", "1", fn)}


def case_qformer(lib, gen, B, Nq=32, Dq=768, S=257, De=1408, H=12):
    w = {"heads": H}
    w["wq"], w["bq"] = gen.lin(Dq, Dq)
    w["wk"], w["bk"] = gen.lin(Dq, De)
    w["wv"], w["bv"] = gen.lin(Dq, De)
    hidden, enc = gen.t(B, Nq, Dq), gen.t(B, S, De)
    p = K.prepare_qformer(w)
    # kernel-only: projected q and the fused K|V buffer, fused attention vs eager attention on the same buffers
    q = torch.addmm(w["bq"], hidden.reshape(-1, Dq), w["wq"].t())
    kv = torch.addmm(p["bkv"], enc.reshape(-1, De), p["wkv"].t())
    out = torch.empty(B, Nq, Dq, dtype=hidden.dtype, device=hidden.device)
    kv3 = kv.view(B, S, 2 * Dq)
    k_c, v_c = kv3[:, :, :Dq].contiguous(), kv3[:, :, Dq:].contiguous()  # what the eager path's separate GEMMs give
    d = Dq // H
    return {
        "shape": f"B={B} Nq={Nq} Dq={Dq} S={S} De={De} H={H}",
        "native": lambda: K.qformer_cross_attention(lib, hidden, enc, p),
        "eager": lambda: R.qformer_cross_attention(hidden, enc, w),
        "ref32": lambda: R.qformer_cross_attention(f32(hidden), f32(enc), f32(w)),
        "kernel_native": lambda: K.mha(lib, q, kv, kv, out, B, H, Nq, S, d, (Nq * Dq, Dq), (S * 2 * Dq, 2 * Dq),
                                       (S * 2 * Dq, 2 * Dq), (Nq * Dq, Dq), 0, Dq),
        "kernel_eager": lambda: R.mha(q.view(B, Nq, Dq), k_c, v_c, H),
        "variants": {"native, K and V from two GEMMs": lambda: K.qformer_cross_attention(lib, hidden, enc, p, split_kv=True),
                     "K/V folded (the CPU path's algebra, LibTorch GEMMs)": lambda: K.qformer_folded(hidden, enc, p),
                     **tc_variant(hidden, lambda: K.qformer_cross_attention(lib, hidden, enc, p))},
        "stages": {
            "q GEMM": lambda: torch.addmm(w["bq"], hidden.reshape(-1, Dq), w["wq"].t()),
            "K|V GEMM (native: one)": lambda: torch.addmm(p["bkv"], enc.reshape(-1, De), p["wkv"].t()),
            "K GEMM + V GEMM (eager: two)": lambda: (F.linear(enc, w["wk"], w["bk"]), F.linear(enc, w["wv"], w["bv"])),
        },
    }


def case_cem(lib, gen, B, SC=257, C=1408, SD=256, CD=1024, H=16):
    w = {"heads": H, "eps": 1e-6, "nq_w": gen.t(C, scale=0.1, shift=1.0), "nq_b": gen.t(C, scale=0.05),
         "nkv_w": gen.t(CD, scale=0.1, shift=1.0), "nkv_b": gen.t(CD, scale=0.05)}
    w["wq"], w["bq"] = gen.lin(C, C)
    w["wk"], w["bk"] = gen.lin(C, CD)
    w["wv"], w["bv"] = gen.lin(C, CD)
    w["wo"], w["bo"] = gen.lin(C, C)
    x, sem = gen.t(B, SC, C), gen.t(B, SD, CD)
    p = K.prepare_cem(w)
    q = gen.t(B * SC, C)
    kv = gen.t(B * SD, 2 * C)
    a = torch.empty(B * SC, C, dtype=x.dtype, device=x.device)
    kv3 = kv.view(B, SD, 2 * C)
    k_c, v_c = kv3[:, :, :C].contiguous(), kv3[:, :, C:].contiguous()
    d = C // H
    return {
        "shape": f"B={B} S_C={SC} C={C} S_D={SD} C_D={CD} H={H}",
        "native": lambda: K.cem_fusion(lib, x, sem, p),
        "eager": lambda: R.cem_fusion(x, sem, w),
        "ref32": lambda: R.cem_fusion(f32(x), f32(sem), f32(w)),
        "kernel_native": lambda: K.mha(lib, q, kv, kv, a, B, H, SC, SD, d, (SC * C, C), (SD * 2 * C, 2 * C),
                                       (SD * 2 * C, 2 * C), (SC * C, C), 0, C),
        "kernel_eager": lambda: R.mha(q.view(B, SC, C), k_c, v_c, H),
        "variants": {"native, K and V from two GEMMs": lambda: K.cem_fusion(lib, x, sem, p, split_kv=True),
                     **tc_variant(x, lambda: K.cem_fusion(lib, x, sem, p))},
        "stages": {
            "2 LayerNorms (calico)": lambda: (K.layer_norm(lib, x, w["nq_w"], w["nq_b"], 1e-6),
                                              K.layer_norm(lib, sem, w["nkv_w"], w["nkv_b"], 1e-6)),
            "2 LayerNorms (F.layer_norm)": lambda: (F.layer_norm(x, (C,), w["nq_w"], w["nq_b"], 1e-6),
                                                    F.layer_norm(sem, (CD,), w["nkv_w"], w["nkv_b"], 1e-6)),
            "q GEMM": lambda: torch.addmm(w["bq"], x.reshape(-1, C), w["wq"].t()),
            "K|V GEMM (native: one)": lambda: torch.addmm(p["bkv"], sem.reshape(-1, CD), p["wkv"].t()),
            "K GEMM + V GEMM (eager: two)": lambda: (F.linear(sem, w["wk"], w["bk"]), F.linear(sem, w["wv"], w["bv"])),
            "out: addmm(bo, a, Wo^T) += x (native)": lambda: torch.addmm(w["bo"], a, w["wo"].t()).add_(x.reshape(-1, C)),
            "out: addmm(x, a, Wo^T) + bo (native until session 4)":
                lambda: torch.addmm(x.reshape(-1, C), a, w["wo"].t()).add_(w["bo"]),
            "out: x + linear(a) (eager)": lambda: x.reshape(-1, C) + F.linear(a, w["wo"], w["bo"]),
        },
    }


def case_cam_adapt(lib, gen, B, L=200, D=4096, Dq=768, Nq=32):
    w = {"queries": gen.t(1, Nq, Dq)}
    w["wa"], w["ba"] = gen.lin(Dq, D)
    hidden = gen.t(B, L, D)
    last = torch.tensor([(L - 1 - 7 * i) % L for i in range(B)], dtype=torch.int64)
    last_dev = last.to(hidden.device)
    return {
        "shape": f"B={B} L={L} D={D} Dq={Dq} Nq={Nq}",
        "native": lambda: K.cam_adapt(lib, hidden, last_dev, w),
        "eager": lambda: R.cam_adapt(hidden, last_dev, w),
        "ref32": lambda: R.cam_adapt(f32(hidden), last_dev, f32(w)),
    }


def case_cam_reintegrate(lib, gen, B, per_row=2, L=200, D=4096, Dq=768, Nq=32):
    w = {}
    w["wr"], w["br"] = gen.lin(D, Dq)
    hidden = gen.t(B, L, D)
    rows = [b for b in range(B) for _ in range(per_row)]
    starts = [5 + j * (Nq + 3) for _ in range(B) for j in range(per_row)]
    x = gen.t(len(rows), Nq, Dq)
    spans = torch.tensor([[r, s] for r, s in zip(rows, starts)], dtype=torch.int64, device=hidden.device)
    proj = torch.addmm(w["br"], x.reshape(-1, Dq), w["wr"].t()).view(len(rows), Nq, D)
    out = torch.empty_like(hidden)

    def kernel_native():
        lib.call("calico_cam_scatter_add", K._dev(hidden), K._code(hidden), hidden.data_ptr(), out.data_ptr(),
                 proj.data_ptr(), spans.data_ptr(), B, L, D, len(rows), Nq, K._stream(hidden))

    def kernel_eager():
        o = hidden.clone()
        for j in range(len(rows)):
            o[rows[j], starts[j]:starts[j] + Nq] += proj[j]
        return o

    return {
        "shape": f"B={B} L={L} D={D} images={len(rows)} Nq={Nq}",
        "native": lambda: K.cam_reintegrate(lib, hidden, rows, starts, x, w, spans),
        "eager": lambda: R.cam_reintegrate(hidden, rows, starts, x, w),
        "ref32": lambda: R.cam_reintegrate(f32(hidden), rows, starts, f32(x), f32(w)),
        "kernel_native": kernel_native,
        "kernel_eager": kernel_eager,
    }


def _sam_attn_weights(gen, C, inner, H):
    w = {"heads": H}
    for n in "qkv":
        w["w" + n], w["b" + n] = gen.lin(inner, C)
    w["wo"], w["bo"] = gen.lin(C, inner)
    return w


def case_sam_t2i(lib, gen, N, T=7, HW=4096, C=256, inner=128, H=8, shared=True):
    w = _sam_attn_weights(gen, C, inner, H)
    tokens = gen.t(N, T, C)
    image = gen.t(1 if shared else N, HW, C)
    keys = image + gen.t(1, HW, C)
    d = inner // H
    qp = torch.addmm(w["bq"], tokens.reshape(-1, C), w["wq"].t())
    kp = torch.addmm(w["bk"], keys.reshape(-1, C), w["wk"].t())
    vp = torch.addmm(w["bv"], image.reshape(-1, C), w["wv"].t())
    Bk = image.shape[0]
    o = torch.empty(N * T, inner, dtype=tokens.dtype, device=tokens.device)
    return {
        "shape": f"N={N} T={T} keys={HW} C={C} inner={inner} H={H} image {'shared (batch 1)' if shared else 'per prompt'}",
        "native": lambda: K.sam_attention(lib, tokens, keys, image, w),
        "eager": lambda: R.sam_attention(tokens, keys, image, w),
        "ref32": lambda: R.sam_attention(f32(tokens), f32(keys), f32(image), f32(w)),
        "kernel_native": lambda: K.mha(lib, qp, kp, vp, o, N, H, T, HW, d, (T * inner, inner),
                                       (0 if Bk == 1 else HW * inner, inner), (0 if Bk == 1 else HW * inner, inner),
                                       (T * inner, inner)),
        "kernel_eager": lambda: R.mha(qp.view(N, T, inner), kp.view(Bk, HW, inner), vp.view(Bk, HW, inner), H),
        "stages": {
            "q/k/v projections": lambda: (torch.addmm(w["bq"], tokens.reshape(-1, C), w["wq"].t()),
                                          torch.addmm(w["bk"], keys.reshape(-1, C), w["wk"].t()),
                                          torch.addmm(w["bv"], image.reshape(-1, C), w["wv"].t())),
            "out_proj": lambda: torch.addmm(w["bo"], o, w["wo"].t()),
        },
    }


def case_sam_i2t(lib, gen, N, T=7, HW=4096, C=256, inner=128, H=8):
    w = _sam_attn_weights(gen, C, inner, H)
    tokens = gen.t(N, T, C)
    keys = gen.t(N, HW, C)
    d = inner // H
    qp = torch.addmm(w["bq"], keys.reshape(-1, C), w["wq"].t())
    kp = torch.addmm(w["bk"], tokens.reshape(-1, C), w["wk"].t())
    vp = torch.addmm(w["bv"], tokens.reshape(-1, C), w["wv"].t())
    o = torch.empty(N * HW, inner, dtype=tokens.dtype, device=tokens.device)
    return {
        "shape": f"N={N} queries={HW} T={T} C={C} inner={inner} H={H}",
        "native": lambda: K.sam_attention(lib, keys, tokens, tokens, w),
        "eager": lambda: R.sam_attention(keys, tokens, tokens, w),
        "ref32": lambda: R.sam_attention(f32(keys), f32(tokens), f32(tokens), f32(w)),
        "kernel_native": lambda: K.mha(lib, qp, kp, vp, o, N, H, HW, T, d, (HW * inner, inner), (T * inner, inner),
                                       (T * inner, inner), (HW * inner, inner)),
        "kernel_eager": lambda: R.mha(qp.view(N, HW, inner), kp.view(N, T, inner), vp.view(N, T, inner), H),
        "variants": {"projections folded (attentionFewKeys)": lambda: K.sam_attention(lib, keys, tokens, tokens, w, fold=True),
                     "unfolded (projections + fused kernel + out_proj)": lambda: K.sam_attention(lib, keys, tokens, tokens, w, fold=False)},
        "stages": {
            "q/k/v projections": lambda: (torch.addmm(w["bq"], keys.reshape(-1, C), w["wq"].t()),
                                          torch.addmm(w["bk"], tokens.reshape(-1, C), w["wk"].t()),
                                          torch.addmm(w["bv"], tokens.reshape(-1, C), w["wv"].t())),
            "out_proj": lambda: torch.addmm(w["bo"], o, w["wo"].t()),
        },
    }


def _upscale_weights(gen, Cin, C1, C2):
    return {"w1": gen.t(Cin, C1, 2, 2, scale=Cin ** -0.5), "b1": gen.t(C1, scale=0.05),
            "ln_w": gen.t(C1, scale=0.1, shift=1.0), "ln_b": gen.t(C1, scale=0.05),
            "w2": gen.t(C1, C2, 2, 2, scale=C1 ** -0.5), "b2": gen.t(C2, scale=0.05), "eps": 1e-6}


def _upscale_stages(lib, src, w, p, hyper=None):
    """Each step of the native and of the eager upscaling alone, on the intermediate tensors of one native run."""
    N, Cin, h, ww = src.shape
    C1, C2 = w["w1"].shape[1], w["w2"].shape[1]
    y1 = torch.matmul(p["w1t"], src.reshape(N, Cin, h * ww))
    z = torch.empty(N, C1, 2 * h, 2 * ww, dtype=src.dtype, device=src.device)
    args = (K._dev(src), K._code(src))

    def ln_gelu():
        lib.call("calico_sam_upscale_ln_gelu", *args, y1.data_ptr(), p["b1"].data_ptr(), p["ln_w"].data_ptr(),
                 p["ln_b"].data_ptr(), z.data_ptr(), N, h, ww, C1, 1e-6, K._stream(src))
    ln_gelu()
    y2 = torch.matmul(p["w2t"], z.reshape(N, C1, 4 * h * ww))
    out = torch.empty(N, C2 if hyper is None else hyper.shape[1], 4 * h, 4 * ww, dtype=src.dtype, device=src.device)

    def stage2():
        if hyper is None:
            lib.call("calico_sam_upscale_gelu", *args, y2.data_ptr(), p["b2"].data_ptr(), out.data_ptr(), N, 2 * h,
                     2 * ww, C2, K._stream(src))
        else:
            lib.call("calico_sam_hyper_masks", *args, y2.data_ptr(), p["b2"].data_ptr(), hyper.data_ptr(),
                     out.data_ptr(), N, 2 * h, 2 * ww, C2, hyper.shape[1], K._stream(src))
    x1 = F.conv_transpose2d(src, w["w1"], w["b1"], stride=2)
    g1 = F.gelu(R.layer_norm_2d(x1, w["ln_w"], w["ln_b"], 1e-6))
    st = {
        "native GEMM 1 (W1t @ src)": lambda: torch.matmul(p["w1t"], src.reshape(N, Cin, h * ww)),
        "native kernel 1 (shuffle+bias+LN2d+GELU)": ln_gelu,
        "native GEMM 2 (W2t @ z)": lambda: torch.matmul(p["w2t"], z.reshape(N, C1, 4 * h * ww)),
        "native kernel 2 (shuffle+bias+GELU" + (")" if hyper is None else "+masks)"): stage2,
        "eager conv_transpose2d 1": lambda: F.conv_transpose2d(src, w["w1"], w["b1"], stride=2),
        "eager LayerNorm2d + GELU": lambda: F.gelu(R.layer_norm_2d(x1, w["ln_w"], w["ln_b"], 1e-6)),
        "eager conv_transpose2d 2 + GELU": lambda: F.gelu(F.conv_transpose2d(g1, w["w2"], w["b2"], stride=2)),
    }
    return st


def case_sam_masks(lib, gen, N, M=4, h=64, Cin=256, C1=64, C2=32):
    w = _upscale_weights(gen, Cin, C1, C2)
    # SAM's transformer output [N, h*w, 256] transposed and viewed: channels-last memory
    src = gen.t(N, h * h, Cin).transpose(1, 2).reshape(N, Cin, h, h)
    hyper = gen.t(N, M, C2)
    p = K.prepare_sam_upscale(w)
    return {
        "stages_fn": lambda: _upscale_stages(lib, src, w, p, hyper.contiguous()),
        "shape": f"N={N} M={M} embedding {Cin}x{h}x{h} -> {C1} -> {C2} x {4 * h}x{4 * h}",
        "native": lambda: K.sam_masks(lib, src, hyper, p),
        "eager": lambda: R.sam_masks(src, hyper, w),
        "ref32": lambda: R.sam_masks(f32(src), f32(hyper), f32(w)),
    }


def case_sam_upscale(lib, gen, N, h=64, Cin=256, C1=64, C2=32):
    w = _upscale_weights(gen, Cin, C1, C2)
    src = gen.t(N, h * h, Cin).transpose(1, 2).reshape(N, Cin, h, h)
    p = K.prepare_sam_upscale(w)
    return {
        "stages_fn": lambda: _upscale_stages(lib, src, w, p),
        "shape": f"N={N} embedding {Cin}x{h}x{h} -> {C2} x {4 * h}x{4 * h}",
        "native": lambda: K.sam_upscale(lib, src, p),
        "eager": lambda: R.sam_upscale(src, w),
        "ref32": lambda: R.sam_upscale(f32(src), f32(w)),
    }


def case_mha(lib, gen, B, H, Lq, Lk, d, shared_kv=False, tc=False):
    """tc: with CALICO_MHA_TC=1 (the tensor-core kernel of attention_tc.cu where it covers the shape)."""
    C = H * d
    q, k, v = gen.t(B, Lq, C), gen.t(1 if shared_kv else B, Lk, C), gen.t(1 if shared_kv else B, Lk, C)
    o = torch.empty(B, Lq, C, dtype=q.dtype, device=q.device)
    kbs = 0 if shared_kv else Lk * C

    def native():
        return K.mha(lib, q, k, v, o, B, H, Lq, Lk, d, (Lq * C, C), (kbs, C), (kbs, C), (Lq * C, C))

    return {
        "shape": f"B={B} H={H} Lq={Lq} Lk={Lk} d={d}{' k/v shared' if shared_kv else ''}{' CALICO_MHA_TC=1' if tc else ''}",
        "native": with_env("CALICO_MHA_TC", "1", native) if tc else native,
        "eager": lambda: R.mha(q, k, v, H),
        "ref32": lambda: R.mha(f32(q), f32(k), f32(v), H),
    }


def plan(small, dtypes):
    """(op, builder, kwargs, dtypes) for every case."""
    real = [
        ("qformer_cross_attention", case_qformer, dict(B=2), dtypes),
        ("qformer_cross_attention", case_qformer, dict(B=8), dtypes),
        ("cem_fusion", case_cem, dict(B=2), dtypes),
        ("cem_fusion", case_cem, dict(B=4, SD=261), dtypes),
        ("cam_injection.adapt", case_cam_adapt, dict(B=1), dtypes),
        ("cam_injection.adapt", case_cam_adapt, dict(B=8), dtypes),
        ("cam_injection.reintegrate", case_cam_reintegrate, dict(B=2, per_row=2), dtypes),
        ("cam_injection.reintegrate", case_cam_reintegrate, dict(B=8, per_row=4), dtypes),
        ("sam.attention token->image", case_sam_t2i, dict(N=1), dtypes),
        ("sam.attention token->image", case_sam_t2i, dict(N=8), dtypes),
        ("sam.attention token->image", case_sam_t2i, dict(N=32), dtypes),
        ("sam.attention token->image", case_sam_t2i, dict(N=32, shared=False), dtypes),
        ("sam.attention image->token", case_sam_i2t, dict(N=1), dtypes),
        ("sam.attention image->token", case_sam_i2t, dict(N=32), dtypes),
        ("sam.attention self", case_sam_t2i, dict(N=32, HW=7, inner=256, shared=False), dtypes),
        ("sam.upscale", case_sam_upscale, dict(N=8), dtypes),
        ("sam.masks", case_sam_masks, dict(N=1), dtypes),
        ("sam.masks", case_sam_masks, dict(N=8), dtypes),
        ("sam.masks", case_sam_masks, dict(N=32), dtypes),
        ("mha f16 check", case_mha, dict(B=2, H=12, Lq=32, Lk=257, d=64), ["f16"]),
        # the tensor-core kernel (opt-in) at the CEM attention shape, and the SIMT kernel on the same inputs
        ("mha tensor-core", case_mha, dict(B=4, H=16, Lq=257, Lk=261, d=88, tc=True), ["bf16", "f16"]),
        ("mha", case_mha, dict(B=4, H=16, Lq=257, Lk=261, d=88), ["bf16", "f16"]),
    ]
    tiny = [
        ("qformer_cross_attention", case_qformer, dict(B=2, Nq=5, Dq=48, S=19, De=40, H=4), dtypes),
        ("cem_fusion", case_cem, dict(B=2, SC=9, C=64, SD=7, CD=40, H=4), dtypes),
        ("cem_fusion", case_cem, dict(B=1, SC=33, C=176, SD=20, CD=40, H=2), dtypes),  # d = 88
        ("cam_injection.adapt", case_cam_adapt, dict(B=3, L=13, D=40, Dq=24, Nq=4), dtypes),
        ("cam_injection.adapt", case_cam_adapt, dict(B=9, L=5, D=70, Dq=20, Nq=3), dtypes),  # > 8 rows
        ("cam_injection.reintegrate", case_cam_reintegrate, dict(B=2, per_row=2, L=20, D=40, Dq=24, Nq=4), dtypes),
        ("sam.attention token->image", case_sam_t2i, dict(N=3, T=6, HW=700, C=32, inner=16, H=2), dtypes),  # split-K
        ("sam.attention token->image", case_sam_t2i, dict(N=2, T=6, HW=50, C=32, inner=16, H=2, shared=False), dtypes),
        ("sam.attention image->token", case_sam_i2t, dict(N=2, T=6, HW=70, C=32, inner=16, H=2), dtypes),
        ("sam.upscale", case_sam_upscale, dict(N=2, h=5, Cin=16, C1=8, C2=4), dtypes),
        ("sam.masks", case_sam_masks, dict(N=2, M=3, h=5, Cin=16, C1=8, C2=4), dtypes),
        ("sam.masks", case_sam_masks, dict(N=1, M=2, h=67, Cin=16, C1=8, C2=4), dtypes),  # > 64 pixel pairs per row
        ("sam.attention image->token", case_sam_i2t, dict(N=2, T=5, HW=150, C=64, inner=64, H=2), dtypes),  # d 32
        ("mha", case_mha, dict(B=3, H=2, Lq=6, Lk=300, d=64), dtypes),  # few queries, d 64, split-K
        ("mha", case_mha, dict(B=1, H=2, Lq=33, Lk=40, d=88), dtypes),
        ("mha", case_mha, dict(B=1, H=1, Lq=5, Lk=9, d=128), dtypes),
        ("mha", case_mha, dict(B=1, H=2, Lq=3, Lk=600, d=32, shared_kv=True), dtypes),
        ("mha", case_mha, dict(B=2, H=1, Lq=4, Lk=0, d=16), ["f32"]),
        ("mha tensor-core", case_mha, dict(B=1, H=2, Lq=70, Lk=80, d=88, tc=True), ["bf16", "f16"]),
        ("mha tensor-core", case_mha, dict(B=1, H=1, Lq=65, Lk=130, d=30, tc=True), ["bf16", "f16"]),
        ("mha tensor-core", case_mha, dict(B=1, H=1, Lq=64, Lk=17, d=128, tc=True), ["bf16", "f16"]),
    ]
    return tiny if small else real


# ---------------------------------------------------------------------------------------------------------- runner

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timeit(fn, device, warmup, iters):
    """Median milliseconds: CUDA events around each call on the current stream, or wall clock on the CPU."""
    for _ in range(warmup):
        fn()
    sync(device)
    if device.type == "cuda":
        ev = []
        for _ in range(iters):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            ev.append((s, e))
        torch.cuda.synchronize(device)
        return statistics.median(s.elapsed_time(e) for s, e in ev)
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


TOL = {"f32": (1e-4, 1e-3), "bf16": (3e-2, 2e-2), "f16": (4e-3, 5e-3)}


def judge(dt, native, eager, ref):
    """PASS when native is allclose to the fp32 reference, or (half types) no further from it than 1.5x the eager
    composite in that dtype plus atol."""
    atol, rtol = TOL[dt]
    n, e, r = native.float(), eager.float(), ref.float()
    if n.shape != r.shape:
        return False, math.inf, math.inf, f"shape {tuple(n.shape)} != {tuple(r.shape)}"
    nerr = (n - r).abs().max().item() if n.numel() else 0.0
    eerr = (e - r).abs().max().item() if e.numel() else 0.0
    if not math.isfinite(nerr):
        return False, nerr, eerr, "non-finite output"
    close = bool(torch.all((n - r).abs() <= atol + rtol * r.abs()).item()) if n.numel() else True
    ok = close or (dt != "f32" and nerr <= 1.5 * eerr + atol)
    return ok, nerr, eerr, ""


GRAPH_REPS = 10


def graph_time(fn, device, iters):
    """Device time per call (ms): GRAPH_REPS calls captured in one CUDA graph, replayed; Python and launch overhead
    excluded (the event timing above includes whatever of them the GPU waits for)."""
    s = torch.cuda.Stream(device)
    s.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(s):
        for _ in range(2):
            fn()
    torch.cuda.current_stream(device).wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(GRAPH_REPS):
            fn()
    g.replay()
    torch.cuda.synchronize(device)
    ev = []
    for _ in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        g.replay()
        b.record()
        ev.append((a, b))
    torch.cuda.synchronize(device)
    t = statistics.median(a.elapsed_time(b) for a, b in ev) / GRAPH_REPS
    del g
    return t


def run_case(lib, device, op, builder, kwargs, dt, seed, timing, warmup, iters, graphs=True, stages=True):
    rec = {"op": op, "dtype": dt, "args": kwargs, "status": "ERROR"}
    t0 = time.time()
    try:
        gen = Gen(seed, device, DTYPES[dt])
        with torch.no_grad():
            c = builder(lib, gen, **kwargs)
            rec["shape"] = c["shape"]
            native = c["native"]()
            eager = c["eager"]()
            ref = c["ref32"]()
            sync(device)
            ok, nerr, eerr, why = judge(dt, native, eager, ref)
            rec.update(status="PASS" if ok else "FAIL", native_err=nerr, eager_err=eerr, ref_max=ref.float().abs().max().item()
                       if ref.numel() else 0.0, tol=TOL[dt], note=why)
            del native, eager, ref
            if timing:
                tn = timeit(c["native"], device, warmup, iters)
                te = timeit(c["eager"], device, warmup, iters)
                rec.update(ms_native=tn, ms_eager=te, speedup=te / tn if tn > 0 else None)
                if "kernel_native" in c:
                    kn = timeit(c["kernel_native"], device, warmup, iters)
                    ke = timeit(c["kernel_eager"], device, warmup, iters)
                    rec.update(ms_kernel_native=kn, ms_kernel_eager=ke, kernel_speedup=ke / kn if kn > 0 else None)
                if graphs and device.type == "cuda":
                    try:
                        gn = graph_time(c["native"], device, iters)
                        ge = graph_time(c["eager"], device, iters)
                        rec.update(graph_ms_native=gn, graph_ms_eager=ge, graph_speedup=ge / gn if gn > 0 else None)
                    except Exception as ex:  # the event timing above stands; say why there is no graph timing
                        rec["graph_note"] = f"{type(ex).__name__}: {ex}"[:300]
                for name, fn in c.get("variants", {}).items():
                    try:
                        out = fn()
                        sync(device)
                        vr = c["ref32"]()
                        ok, verr, _, _ = judge(dt, out, vr, vr)
                        rec.setdefault("variants", {})[name] = {"ms": timeit(fn, device, warmup, iters), "err": verr, "ok": ok}
                    except Exception as ex:
                        rec.setdefault("variants", {})[name] = {"note": f"{type(ex).__name__}: {ex}"[:200]}
                if stages:
                    st = dict(c.get("stages", {}))
                    if "stages_fn" in c:
                        try:
                            st.update(c["stages_fn"]())
                        except Exception as ex:
                            rec["stages_note"] = f"{type(ex).__name__}: {ex}"[:200]
                    for name, fn in st.items():
                        try:
                            rec.setdefault("stages", {})[name] = timeit(fn, device, warmup, iters)
                        except Exception as ex:
                            rec.setdefault("stages", {})[name] = f"{type(ex).__name__}: {ex}"[:120]
    except Exception as ex:  # fail soft: record and go on
        rec["status"] = "ERROR"
        rec["note"] = f"{type(ex).__name__}: {ex}"
        rec["trace"] = traceback.format_exc(limit=4)
    rec["seconds"] = round(time.time() - t0, 2)
    return rec


def context_ok(device):
    if device.type != "cuda":
        return True
    try:
        torch.cuda.synchronize(device)
        torch.zeros(1, device=device).add_(1).item()
        return True
    except Exception:
        return False


def environment(lib, device):
    env = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(), "python": platform.python_version(),
           "torch": torch.__version__, "torch_cuda": torch.version.cuda, "lib": lib.path if lib else None,
           "lib_build": lib.build_info() if lib else None, "lib_cuda_status": lib.cuda_status() if lib else None,
           "device": str(device)}
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        env.update(gpu=p.name, sm=f"{p.major}.{p.minor}", gpu_mem_gib=round(p.total_memory / 2 ** 30, 1),
                   sms=p.multi_processor_count)
    env["tf32"] = "disabled (cuBLAS and cuDNN): fp32 composites run in true fp32"
    return env


# ---------------------------------------------------------------------------------------------------------- report

def fmt(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def write_report(out):
    results = []
    path = os.path.join(out, "results.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            results = [json.loads(line) for line in f if line.strip()]
    env = {}
    if os.path.exists(os.path.join(out, "env.json")):
        with open(os.path.join(out, "env.json")) as f:
            env = json.load(f)
    extra = {}
    for name in ("build.json", "run.json", "sanitizer.json"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            with open(p) as f:
                extra[name[:-5]] = json.load(f)
    small = []
    sp = os.path.join(out, "sanitizer", "results.jsonl")
    if os.path.exists(sp):
        with open(sp) as f:
            small = [json.loads(line) for line in f if line.strip()]
    npass = sum(r["status"] == "PASS" for r in results)
    lines = ["# CALICO kernels: GPU check", ""]
    lines += [f"- {k}: {v}" for k, v in env.items()]
    if "build" in extra:
        lines += [f"- build: {extra['build']}"]
    if "run" in extra and extra["run"].get("rc") not in (0, 1):
        lines += [f"- check.py exit code {extra['run'].get('rc')}: {extra['run'].get('tail')}"]
    if not results:
        lines += ["", "**No parity/timing results: check.py did not run its cases (see check.log).**"]
    lines += ["", f"## Parity and timing at real shapes: {npass}/{len(results)} PASS", "",
              "Errors are max |x - fp32 reference| (reference = the eager composite on fp32 copies of the same inputs). "
              "Times: median ms over the timed calls, CUDA events on the current stream. `op` = whole op (GEMMs + "
              "fused kernels) vs the whole eager composite, called from Python (the GPU may wait for the Python "
              "launches of small ops); `graph` = the same two, " + str(GRAPH_REPS) + " calls captured in one CUDA graph "
              "and replayed: device time per call without launch overhead; `kernel` = the fused kernel alone vs the "
              "eager code it replaces, on identical inputs.", "",
              "| op | dtype | shape | status | native err | eager err | op ms native | op ms eager | op speedup "
              "| graph ms native | graph ms eager | graph speedup | kernel ms native | kernel ms eager | kernel speedup |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| {op} | {dtype} | {shape} | {status} | {ne} | {ee} | {tn} | {te} | {sp} | {gn} | {ge} | {gs} "
                     "| {kn} | {ke} | {ks} |".format(
            op=r["op"], dtype=r["dtype"], shape=r.get("shape", r.get("args")), status=r["status"],
            ne=fmt(r.get("native_err")), ee=fmt(r.get("eager_err")), tn=fmt(r.get("ms_native"), ".4f"),
            te=fmt(r.get("ms_eager"), ".4f"), sp=fmt(r.get("speedup"), ".2f"), gn=fmt(r.get("graph_ms_native"), ".4f"),
            ge=fmt(r.get("graph_ms_eager"), ".4f"), gs=fmt(r.get("graph_speedup"), ".2f"),
            kn=fmt(r.get("ms_kernel_native"), ".4f"), ke=fmt(r.get("ms_kernel_eager"), ".4f"),
            ks=fmt(r.get("kernel_speedup"), ".2f")))
    notes = [r for r in results if r.get("graph_note")]
    if notes:
        lines += ["", "CUDA-graph timing not available for: " + "; ".join(
            f"{r['op']} {r['dtype']} ({r['graph_note'][:100]})" for r in notes)]
    staged = [r for r in results if r.get("stages") or r.get("variants")]
    if staged:
        lines += ["", "## Where the time goes (each step alone, ms, CUDA events)", ""]
        for r in staged:
            parts = [f"{k} {fmt(v, '.4f') if isinstance(v, (int, float)) else v}" for k, v in r.get("stages", {}).items()]
            for k, v in r.get("variants", {}).items():
                parts.append(f"variant '{k}' {fmt(v.get('ms'), '.4f')} (err {fmt(v.get('err'))}{'' if v.get('ok', True) else ' FAIL'}"
                             f"{' ' + v['note'] if v.get('note') else ''})")
            lines += [f"- {r['op']} {r['dtype']} {r.get('shape', r.get('args'))}: " + "; ".join(parts)]
    bad = [r for r in results if r["status"] != "PASS"]
    if bad:
        lines += ["", "### Failures", ""]
        for r in bad:
            lines += [f"- {r['op']} {r['dtype']} {r.get('shape', r.get('args'))}: {r['status']} {r.get('note', '')}"]
            if r.get("trace"):
                lines += ["", "```", r["trace"].strip(), "```", ""]
    lines += ["", "## compute-sanitizer", ""]
    if "sanitizer" in extra:
        for tool, info in extra["sanitizer"].items():
            lines += [f"- {tool}: {info}"]
    else:
        lines += ["- not run"]
    if small:
        sp_pass = sum(r["status"] == "PASS" for r in small)
        lines += ["", f"Small-shape parity under the sanitizer: {sp_pass}/{len(small)} PASS"]
        for r in small:
            if r["status"] != "PASS":
                lines += [f"- {r['op']} {r['dtype']} {r.get('shape')}: {r['status']} {r.get('note', '')}"]
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out, "gpu-report.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "gpu-report.json"), "w") as f:
        json.dump({"env": env, "extra": extra, "results": results, "sanitizer_parity": small}, f, indent=1)
    return npass, len(results)


# ---------------------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", help="path of libcalico_kernels.so (or libcalico_cuda_emu.so with --emulate)")
    ap.add_argument("--out", default="gpu-check-out")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--emulate", action="store_true", help="CPU tensors through the CUDA code path of an emulation build")
    ap.add_argument("--small", action="store_true", help="small shapes (fast; used under compute-sanitizer)")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--dtypes", default="f32,bf16")
    ap.add_argument("--ops", default="", help="comma-separated substrings of op names to run (default all)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=25)
    ap.add_argument("--no-graphs", action="store_true", help="no CUDA-graph (device time) measurement")
    ap.add_argument("--no-stages", action="store_true", help="no per-stage timing / variants")
    ap.add_argument("--resume", action="store_true", help="skip cases already in OUT/results.jsonl")
    ap.add_argument("--report", metavar="OUT", help="only (re)write OUT/gpu-report.md and .json")
    a = ap.parse_args()

    if a.report:
        npass, n = write_report(a.report)
        print(f"report: {npass}/{n} PASS -> {os.path.join(a.report, 'gpu-report.md')}")
        return 0 if n > 0 and npass == n else 1

    os.makedirs(a.out, exist_ok=True)
    if a.emulate:
        K.EMULATE = True
        a.device = "cpu"
    device = torch.device(a.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print("CUDA not available to PyTorch", file=sys.stderr)
            return 2
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    else:
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    lib = K.Lib(a.lib)
    with open(os.path.join(a.out, "env.json"), "w") as f:
        json.dump(environment(lib, device), f, indent=1)

    dtypes = [d for d in a.dtypes.split(",") if d]
    want = [s for s in a.ops.split(",") if s]
    path = os.path.join(a.out, "results.jsonl")
    done = set()
    if a.resume and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    done.add((r["op"], json.dumps(r["args"], sort_keys=True), r["dtype"]))
    elif os.path.exists(path):
        os.remove(path)
    timing = not a.no_timing
    warmup, iters = (a.warmup, a.iters) if device.type == "cuda" else (1, 3)
    failed = False
    seed = 1234
    for op, builder, kwargs, dts in plan(a.small, dtypes):
        if want and not any(s in op for s in want):
            continue
        for dt in dts:
            seed += 1
            key = (op, json.dumps(kwargs, sort_keys=True), dt)
            if key in done:
                continue
            rec = run_case(lib, device, op, builder, kwargs, dt, seed, timing, warmup, iters, graphs=not a.no_graphs,
                           stages=not a.no_stages and not a.small)
            print("{status:5s} {op} {dtype} {shape} native_err={ne} eager_err={ee} ms {tn}/{te} speedup {sp} kernel {ks} "
                  "graph {gn}/{ge} speedup {gs}  {note}"
                  .format(status=rec["status"], op=op, dtype=dt, shape=rec.get("shape", kwargs),
                          ne=fmt(rec.get("native_err")), ee=fmt(rec.get("eager_err")), tn=fmt(rec.get("ms_native"), ".4f"),
                          te=fmt(rec.get("ms_eager"), ".4f"), sp=fmt(rec.get("speedup"), ".2f"),
                          ks=fmt(rec.get("kernel_speedup"), ".2f"), gn=fmt(rec.get("graph_ms_native"), ".4f"),
                          ge=fmt(rec.get("graph_ms_eager"), ".4f"), gs=fmt(rec.get("graph_speedup"), ".2f"),
                          note=rec.get("note", "") + (" [graph: " + rec["graph_note"] + "]" if rec.get("graph_note") else "")),
                  flush=True)
            failed |= rec["status"] != "PASS"
            healthy = context_ok(device)
            if not healthy:
                rec["status"] = "ERROR"
                rec["note"] = (rec.get("note", "") + " [CUDA context lost after this case]").strip()
            with open(path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            if not healthy:
                print("CUDA context lost: restart with --resume", file=sys.stderr)
                return 3
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if not a.small:
        write_report(a.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
