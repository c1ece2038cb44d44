"""ctypes binding of libcalico_kernels (C ABI: src/main/cpp/calico_kernels.h) and the native op compositions:
LibTorch GEMMs (torch.addmm / torch.mm, i.e. cuBLAS or OpenBLAS) + CALICO's fused kernels, in exactly the order the
Java Native* classes in org.calico.kernels use. Works on CUDA tensors (CUDA kernels, current torch stream) and on
CPU tensors (the CPU kernels of the same library: check.py --device cpu validates this binding without a GPU).
"""
import ctypes
import math

import torch

F32, F16, BF16 = 0, 1, 2
_CODES = {torch.float32: F32, torch.float16: F16, torch.bfloat16: BF16}

_I64 = ctypes.c_int64
_INT = ctypes.c_int
_FLT = ctypes.c_float

_SIGNATURES = {
    "calico_last_error": (ctypes.c_char_p, []),
    "calico_build_info": (ctypes.c_char_p, []),
    "calico_cuda_compiled": (_INT, []),
    "calico_cuda_device_count": (_INT, []),
    "calico_cuda_status": (ctypes.c_char_p, []),
    "calico_layer_norm": (_INT, [_INT, _INT, _I64, _I64, _I64, _I64, _I64, _I64, _I64, _I64, _FLT, _I64]),
    "calico_mha": (_INT, [_INT, _INT] + [_I64] * 4 + [_I64] * 5 + [_I64] * 8 + [_FLT, _I64, _I64, _I64]),
    "calico_mha_workspace_bytes": (_I64, [_INT] + [_I64] * 5),
    "calico_cam_adapt": (_INT, [_INT, _INT] + [_I64] * 14),
    "calico_cam_scatter_add": (_INT, [_INT, _INT] + [_I64] * 10),
    "calico_sam_upscale_ln_gelu": (_INT, [_INT, _INT] + [_I64] * 9 + [_FLT, _I64]),
    "calico_sam_upscale_gelu": (_INT, [_INT, _INT] + [_I64] * 8),
    "calico_sam_hyper_masks": (_INT, [_INT, _INT] + [_I64] * 10),
}


class KernelError(RuntimeError):
    pass


class Lib:
    def __init__(self, path):
        self.path = path
        self.so = ctypes.CDLL(path)
        for name, (res, args) in _SIGNATURES.items():
            fn = getattr(self.so, name)
            fn.restype = res
            fn.argtypes = args

    def build_info(self):
        return self.so.calico_build_info().decode()

    def cuda_status(self):
        return self.so.calico_cuda_status().decode()

    def call(self, name, *args):
        rc = getattr(self.so, name)(*args)
        if rc != 0:
            raise KernelError(f"{name} failed ({rc}): {self.so.calico_last_error().decode()}")


# True: CPU tensors go to the CUDA code path of an emulation build (libcalico_cuda_emu.so, bench/gpu/emu).
EMULATE = False


def _dev(t):
    """C ABI device code: 0 = CPU, 1 + i = cuda:i."""
    if t.is_cuda:
        return 1 + (t.device.index or 0)
    return 1 if EMULATE else 0


def _stream(t):
    return torch.cuda.current_stream(t.device).cuda_stream if t.is_cuda else 0


def _code(t):
    if t.dtype not in _CODES:
        raise KernelError(f"dtype {t.dtype} not supported")
    return _CODES[t.dtype]


def mha(lib, q, k, v, out, B, H, Lq, Lk, d, qs, ks, vs, os_, k_off=0, v_off=0):
    """Calls calico_mha. qs/ks/vs/os_: (batch stride, row stride) in elements; k_off/v_off: element offsets."""
    es = q.element_size()
    ws_bytes = lib.so.calico_mha_workspace_bytes(_dev(q), B, H, Lq, Lk, d)
    ws = torch.empty(ws_bytes, dtype=torch.uint8, device=q.device) if ws_bytes > 0 else None
    lib.call("calico_mha", _dev(q), _code(q), q.data_ptr(), k.data_ptr() + k_off * es, v.data_ptr() + v_off * es,
             out.data_ptr(), B, H, Lq, Lk, d, qs[0], qs[1], ks[0], ks[1], vs[0], vs[1], os_[0], os_[1],
             1.0 / math.sqrt(d), 0 if ws is None else ws.data_ptr(), ws_bytes, _stream(q))
    return out


def prepare_qformer(w):
    """Weights derived once (the Java op caches these): K|V concatenated for one GEMM."""
    p = dict(w)
    p["wkv"] = torch.cat([w["wk"], w["wv"]], 0).contiguous()
    p["bkv"] = torch.cat([w["bk"], w["bv"]], 0).contiguous()
    return p


def qformer_cross_attention(lib, hidden, encoder, p, split_kv=False):
    """split_kv: K and V from two GEMMs into separate buffers (a diagnostic variant; the Java op runs one K|V GEMM)."""
    B, Nq, Dq = hidden.shape
    S, De = encoder.shape[1], encoder.shape[2]
    H = p["heads"]
    d = Dq // H
    q = torch.addmm(p["bq"], hidden.reshape(B * Nq, Dq), p["wq"].t())
    out = torch.empty(B, Nq, Dq, dtype=hidden.dtype, device=hidden.device)
    if split_kv:
        k = torch.addmm(p["bk"], encoder.reshape(B * S, De), p["wk"].t())
        v = torch.addmm(p["bv"], encoder.reshape(B * S, De), p["wv"].t())
        return mha(lib, q, k, v, out, B, H, Nq, S, d, (Nq * Dq, Dq), (S * Dq, Dq), (S * Dq, Dq), (Nq * Dq, Dq))
    kv = torch.addmm(p["bkv"], encoder.reshape(B * S, De), p["wkv"].t())
    return mha(lib, q, kv, kv, out, B, H, Nq, S, d, (Nq * Dq, Dq), (S * 2 * Dq, 2 * Dq), (S * 2 * Dq, 2 * Dq),
               (Nq * Dq, Dq), 0, Dq)


def qformer_folded(hidden, encoder, p):
    """Q-Former cross-attention with K and V folded into the queries and the output (the CPU path of the Java op,
    src/main/cpp/qformer_xattn.cpp), here with LibTorch GEMMs only: a GPU probe of whether the 0.62x multiply-adds
    at BLIP-2 shapes pay on the device too. bk drops out of the softmax; bv passes through (rows of P sum to 1)."""
    B, Nq, Dq = hidden.shape
    S, De = encoder.shape[1], encoder.shape[2]
    H = p["heads"]
    d = Dq // H
    q = torch.addmm(p["bq"], hidden.reshape(B * Nq, Dq), p["wq"].t())
    qk = torch.bmm(q.view(B * Nq, H, d).transpose(0, 1), p["wk"].view(H, d, De))          # [H, B*Nq, De]
    qk = qk.view(H, B, Nq, De).transpose(0, 1).reshape(B, H * Nq, De)
    s = torch.bmm(qk, encoder.transpose(1, 2))                                             # [B, H*Nq, S]
    pr = torch.softmax(s.float() * (d ** -0.5), -1).to(hidden.dtype)
    px = torch.bmm(pr, encoder).view(B, H, Nq, De).transpose(0, 1).reshape(H, B * Nq, De)
    o = torch.bmm(px, p["wv"].view(H, d, De).transpose(1, 2))                             # [H, B*Nq, d]
    return o.transpose(0, 1).reshape(B, Nq, Dq) + p["bv"]


def layer_norm(lib, x, w, b, eps):
    c = x.shape[-1]
    xc = x.contiguous()
    y = torch.empty_like(xc)
    lib.call("calico_layer_norm", _dev(x), _code(x), xc.data_ptr(), y.data_ptr(), w.data_ptr(), b.data_ptr(),
             xc.numel() // c, c, c, c, eps, _stream(x))
    return y


def prepare_cem(w):
    p = dict(w)
    p["wkv"] = torch.cat([w["wk"], w["wv"]], 0).contiguous()
    p["bkv"] = torch.cat([w["bk"], w["bv"]], 0).contiguous()
    return p


def cem_fusion(lib, x, sem, p, split_kv=False):
    """split_kv: K and V from two GEMMs (a diagnostic variant; the Java op runs one K|V GEMM)."""
    B, SC, C = x.shape
    SD, CD = sem.shape[1], sem.shape[2]
    H = p["heads"]
    d = C // H
    eps = p.get("eps", 1e-6)
    xq = layer_norm(lib, x, p["nq_w"], p["nq_b"], eps)
    s = layer_norm(lib, sem, p["nkv_w"], p["nkv_b"], eps)
    q = torch.addmm(p["bq"], xq.reshape(B * SC, C), p["wq"].t())
    a = torch.empty(B * SC, C, dtype=x.dtype, device=x.device)
    if split_kv:
        k = torch.addmm(p["bk"], s.reshape(B * SD, CD), p["wk"].t())
        v = torch.addmm(p["bv"], s.reshape(B * SD, CD), p["wv"].t())
        mha(lib, q, k, v, a, B, H, SC, SD, d, (SC * C, C), (SD * C, C), (SD * C, C), (SC * C, C))
    else:
        kv = torch.addmm(p["bkv"], s.reshape(B * SD, CD), p["wkv"].t())
        mha(lib, q, kv, kv, a, B, H, SC, SD, d, (SC * C, C), (SD * 2 * C, 2 * C), (SD * 2 * C, 2 * C), (SC * C, C), 0, C)
    out = torch.addmm(p["bo"], a, p["wo"].t())  # bias in the GEMM epilogue, then the residual in place
    out.add_(x.reshape(B * SC, C))
    return out.reshape(B, SC, C)


def cam_adapt(lib, hidden, last_idx, p):
    B, L, D = hidden.shape
    Dq = p["wa"].shape[0]
    queries = p["queries"].reshape(-1, Dq).contiguous()
    Nq = queries.shape[0]
    idx = last_idx.to(device=hidden.device, dtype=torch.int64).contiguous()
    out = torch.empty(B, Nq, Dq, dtype=hidden.dtype, device=hidden.device)
    lib.call("calico_cam_adapt", _dev(hidden), _code(hidden), hidden.data_ptr(), idx.data_ptr(), p["wa"].data_ptr(),
             p["ba"].data_ptr(), queries.data_ptr(), out.data_ptr(), B, L, D, Dq, Nq, hidden.stride(0),
             hidden.stride(1), _stream(hidden))
    return out


def cam_reintegrate(lib, hidden, rows, starts, x, p, spans_dev=None):
    B, L, D = hidden.shape
    n_img, Nq, Dq = x.shape
    proj = torch.addmm(p["br"], x.reshape(n_img * Nq, Dq), p["wr"].t())
    if spans_dev is None:
        spans_dev = torch.tensor([[r, s] for r, s in zip(rows, starts)], dtype=torch.int64).to(hidden.device)
    hc = hidden.contiguous()
    out = torch.empty_like(hc)
    lib.call("calico_cam_scatter_add", _dev(hidden), _code(hidden), hc.data_ptr(), out.data_ptr(), proj.data_ptr(),
             spans_dev.data_ptr(), B, L, D, n_img, Nq, _stream(hidden))
    return out


def sam_attention_few_keys(q, k, v, w):
    """NativeSamMaskDecoding.attentionFewKeys: the projections folded into the few keys/values (k, v same batch)."""
    H = w["heads"]
    Bq, Lq, C = q.shape
    Bk, T = k.shape[0], k.shape[1]
    inner = w["wq"].shape[0]
    d = inner // H
    N, HT, Co = max(Bq, Bk), H * T, w["wo"].shape[0]
    kp = torch.addmm(w["bk"], k.reshape(Bk * T, C), w["wk"].t()).mul_(1.0 / math.sqrt(d))
    kh = kp.view(Bk, T, H, d).permute(2, 3, 0, 1).reshape(H, d, Bk * T)
    A = torch.bmm(w["wq"].view(H, d, C).transpose(1, 2), kh).view(H, C, Bk, T).permute(1, 2, 0, 3).reshape(C, Bk * HT)
    cb = torch.bmm(w["bq"].view(H, 1, d), kh).view(H, Bk, T).permute(1, 0, 2).reshape(Bk * HT)
    vp = torch.addmm(w["bv"], v.reshape(Bk * T, C), w["wv"].t())
    vh = vp.view(Bk, T, H, d).permute(2, 0, 1, 3).reshape(H, Bk * T, d)
    Bm = torch.bmm(vh, w["wo"].view(Co, H, d).permute(1, 2, 0)).view(H, Bk, T, Co).permute(1, 0, 2, 3).reshape(Bk, HT, Co)

    def sm(s):
        return torch.softmax(s, -1, dtype=torch.float32).to(q.dtype)
    if Bk == 1:
        S = torch.addmm(cb, q.reshape(Bq * Lq, C), A)
        return torch.addmm(w["bo"], sm(S.view(Bq * Lq, H, T)).view(Bq * Lq, HT), Bm[0]).view(Bq, Lq, Co)
    if Bq == 1:
        S = torch.addmm(cb, q.reshape(Lq, C), A)
        Pt = sm(S.view(Lq, N, H, T)).view(Lq, N, HT).transpose(0, 1)
    else:
        S = torch.baddbmm(cb.view(N, 1, HT), q, A.view(C, N, HT).permute(1, 0, 2))
        Pt = sm(S.view(N, Lq, H, T)).view(N, Lq, HT)
    return torch.baddbmm(w["bo"], Pt, Bm)


CUDA_FOLD_MIN_ROWS = 16384  # NativeSamMaskDecoding.CUDA_FOLD_MIN_ROWS


def fold_few_keys(cuda, n, lq, lk, heads, inner, kv_same_batch):
    """NativeSamMaskDecoding.foldFewKeys: fold the projections into the few keys; on CUDA from 16384 query rows."""
    if not kv_same_batch or 2 * heads * lk > inner or lq < 256:
        return False
    return not cuda or n * lq >= CUDA_FOLD_MIN_ROWS


def sam_attention(lib, q, k, v, w, fold=None):
    """fold: None = the Java op's rule (fold_few_keys); True / False force the folded / unfolded path (variants)."""
    H = w["heads"]
    Bq, Lq, C = q.shape
    Bk, Lk = k.shape[0], k.shape[1]
    Bv = v.shape[0]
    inner = w["wq"].shape[0]
    d = inner // H
    N = max(Bq, Bk, Bv)
    if (fold_few_keys(q.is_cuda, N, Lq, Lk, H, inner, Bk == Bv) if fold is None else fold):
        return sam_attention_few_keys(q, k, v, w)
    qp = torch.addmm(w["bq"], q.reshape(Bq * Lq, C), w["wq"].t())
    kp = torch.addmm(w["bk"], k.reshape(Bk * Lk, C), w["wk"].t())
    vp = torch.addmm(w["bv"], v.reshape(Bv * Lk, C), w["wv"].t())
    o = torch.empty(N * Lq, inner, dtype=q.dtype, device=q.device)
    mha(lib, qp, kp, vp, o, N, H, Lq, Lk, d, (0 if Bq == 1 else Lq * inner, inner),
        (0 if Bk == 1 else Lk * inner, inner), (0 if Bv == 1 else Lk * inner, inner), (Lq * inner, inner))
    return torch.addmm(w["bo"], o, w["wo"].t()).reshape(N, Lq, w["wo"].shape[0])


def prepare_sam_upscale(w):
    """ConvTranspose2d weights [in, out, 2, 2] -> GEMM weights [4*out, in] with rows (a, b, o) (cached by the Java op)."""
    p = dict(w)
    for k in ("w1", "w2"):
        wt = w[k]
        p[k + "t"] = wt.permute(2, 3, 1, 0).reshape(4 * wt.shape[1], wt.shape[0]).contiguous()
    return p


def _upscale_stage1(lib, src, p):
    N, Cin, h, ww = src.shape
    C1 = p["w1"].shape[1]
    # y1[n] = W1t [4*C1, Cin] @ src[n] [Cin, h*w]; SAM's channels-last src is a transposed operand (no copy)
    y1 = torch.matmul(p["w1t"], src.reshape(N, Cin, h * ww))
    z = torch.empty(N, C1, 2 * h, 2 * ww, dtype=src.dtype, device=src.device)
    lib.call("calico_sam_upscale_ln_gelu", _dev(src), _code(src), y1.data_ptr(), p["b1"].data_ptr(),
             p["ln_w"].data_ptr(), p["ln_b"].data_ptr(), z.data_ptr(), N, h, ww, C1, p.get("eps", 1e-6), _stream(src))
    return torch.matmul(p["w2t"], z.reshape(N, C1, 4 * h * ww))


def sam_upscale(lib, src, p):
    N, _, h, ww = src.shape
    C2 = p["w2"].shape[1]
    y2 = _upscale_stage1(lib, src, p)
    out = torch.empty(N, C2, 4 * h, 4 * ww, dtype=src.dtype, device=src.device)
    lib.call("calico_sam_upscale_gelu", _dev(src), _code(src), y2.data_ptr(), p["b2"].data_ptr(), out.data_ptr(), N,
             2 * h, 2 * ww, C2, _stream(src))
    return out


def sam_masks(lib, src, hyper_in, p):
    N, _, h, ww = src.shape
    C2 = p["w2"].shape[1]
    M = hyper_in.shape[1]
    y2 = _upscale_stage1(lib, src, p)
    hy = hyper_in.contiguous()
    out = torch.empty(N, M, 4 * h, 4 * ww, dtype=src.dtype, device=src.device)
    lib.call("calico_sam_hyper_masks", _dev(src), _code(src), y2.data_ptr(), p["b2"].data_ptr(), hy.data_ptr(),
             out.data_ptr(), N, 2 * h, 2 * ww, C2, M, _stream(src))
    return out
