"""PyTorch eager composites of CALICO's four custom ops: the same math as the Java Torch* classes in
org.calico.kernels (which are the spec), written with the upstream modules' own operations.

Used by check.py (GPU check: parity + timing of the CUDA kernels against these) and by
scripts/make_kernel_fixtures.py (small fixtures the Java tests compare both backends against).
Shapes follow PyTorch: Linear weight [out, in], ConvTranspose2d weight [in, out, kh, kw].
"""
import math

import torch
import torch.nn.functional as F


def mha(q, k, v, heads):
    """Multi-head attention on projected q [B, Lq, H*d], k/v [Bk, Lk, H*d] (Bk = B or 1, broadcast) -> [B, Lq, H*d].
    scores = q_h k_h^T / sqrt(d) (HF Q-Former and SAM both divide after the matmul), softmax in fp32."""
    B, Lq, C = q.shape
    d = C // heads
    qh = q.reshape(B, Lq, heads, d).transpose(1, 2)
    kh = k.reshape(k.shape[0], k.shape[1], heads, d).transpose(1, 2)
    vh = v.reshape(v.shape[0], v.shape[1], heads, d).transpose(1, 2)
    s = torch.matmul(qh, kh.transpose(-1, -2)) / math.sqrt(d)
    p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(p, vh)
    return o.transpose(1, 2).reshape(o.shape[0], Lq, C)


def qformer_cross_attention(hidden, encoder, w):
    """HF Blip2QFormerMultiHeadAttention (cross-attention, eager, no mask) up to the context layer.
    hidden [B, Nq, Dq], encoder [B, S, De] -> [B, Nq, Dq]."""
    q = F.linear(hidden, w["wq"], w["bq"])
    k = F.linear(encoder, w["wk"], w["bk"])
    v = F.linear(encoder, w["wv"], w["bv"])
    return mha(q, k, v, w["heads"])


def cem_fusion(x, sem, w):
    """CALICO CEM (spec §7): x + Wo MHA(LN_q(x) Wq, LN_kv(sem) Wk, LN_kv(sem) Wv) + bo. x [B, S_C, C], sem [B, S_D, C_D]."""
    eps = w.get("eps", 1e-6)
    xq = F.layer_norm(x, (x.shape[-1],), w["nq_w"], w["nq_b"], eps)
    s = F.layer_norm(sem, (sem.shape[-1],), w["nkv_w"], w["nkv_b"], eps)
    a = mha(F.linear(xq, w["wq"], w["bq"]), F.linear(s, w["wk"], w["bk"]), F.linear(s, w["wv"], w["bv"]), w["heads"])
    return x + F.linear(a, w["wo"], w["bo"])


def cam_adapt(hidden, last_idx, w):
    """Cheetah VPG-C adaptation: queries + Linear(hidden[b, last_idx[b]]). hidden [B, L, D], last_idx long [B] -> [B, Nq, Dq]."""
    B = hidden.shape[0]
    h = hidden[torch.arange(B, device=hidden.device), last_idx]
    return w["queries"] + F.linear(h, w["wa"], w["ba"]).unsqueeze(1)


def cam_reintegrate(hidden, rows, starts, x, w):
    """hidden with hidden[rows[j], starts[j]:starts[j]+Nq] += Linear(x[j]) for every image j (out of place).
    hidden [B, L, D], x [nImg, Nq, Dq] -> [B, L, D]."""
    out = hidden.clone()
    p = F.linear(x, w["wr"], w["br"])
    nq = x.shape[1]
    for j in range(x.shape[0]):
        out[rows[j], starts[j]:starts[j] + nq] += p[j]
    return out


def sam_attention(q, k, v, w):
    """segment-anything modeling/transformer.py Attention.forward. q [Bq, Lq, 256], k/v [Bk, Lk, 256] (batch 1 or N)."""
    heads = w["heads"]
    q = F.linear(q, w["wq"], w["bq"])
    k = F.linear(k, w["wk"], w["bk"])
    v = F.linear(v, w["wv"], w["bv"])

    def sep(x):
        b, n, c = x.shape
        return x.reshape(b, n, heads, c // heads).transpose(1, 2)

    qh, kh, vh = sep(q), sep(k), sep(v)
    c = qh.shape[-1]
    attn = qh @ kh.permute(0, 1, 3, 2)
    attn = attn / math.sqrt(c)
    attn = torch.softmax(attn, dim=-1, dtype=torch.float32).to(qh.dtype)
    out = attn @ vh
    b, h, n, cc = out.shape
    out = out.transpose(1, 2).reshape(b, n, h * cc)
    return F.linear(out, w["wo"], w["bo"])


def layer_norm_2d(x, weight, bias, eps):
    """segment-anything modeling/common.py LayerNorm2d."""
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + eps)
    return weight[:, None, None] * x + bias[:, None, None]


def sam_upscale(src, w):
    """output_upscaling: ConvT(256->64, k2 s2) -> LayerNorm2d(64) -> GELU -> ConvT(64->32, k2 s2) -> GELU.
    src [N, 256, h, w] -> [N, 32, 4h, 4w]."""
    x = F.conv_transpose2d(src, w["w1"], w["b1"], stride=2)
    x = F.gelu(layer_norm_2d(x, w["ln_w"], w["ln_b"], w.get("eps", 1e-6)))
    x = F.conv_transpose2d(x, w["w2"], w["b2"], stride=2)
    return F.gelu(x)


def sam_masks(src, hyper_in, w):
    """masks = hyper_in @ upscaled: src [N, 256, h, w], hyper_in [N, M, 32] -> [N, M, 4h, 4w]."""
    up = sam_upscale(src, w)
    b, c, h, ww = up.shape
    return (hyper_in @ up.reshape(b, c, h * ww)).reshape(b, -1, h, ww)
