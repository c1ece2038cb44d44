"""Writes small fp32 fixtures for CALICO's four custom ops into src/test/resources/kernels/, computed with the PyTorch
eager composites of bench/gpu/reference.py (the same math the GPU check compares the CUDA kernels against).
KernelFixturesTest checks both Java backends (LibTorch composite and native kernels) against them.

    /work/venv/bin/python scripts/make_kernel_fixtures.py

Deterministic (seed 20240901): re-running reproduces the files byte for byte with the same torch version.
"""
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "gpu"))
import reference as R  # noqa: E402

OUT = os.path.join(HERE, "..", "src", "test", "resources", "kernels")


def rnd(*shape, scale=1.0):
    return torch.randn(*shape, dtype=torch.float64).mul(scale).float()


def lin(o, i):
    return rnd(o, i, scale=i ** -0.5), rnd(o, scale=0.05)


def save(name, tensors):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    print(path, sum(v.numel() for v in tensors.values()) * 4, "bytes")


def main():
    torch.manual_seed(20240901)
    with torch.no_grad():
        # Q-Former cross-attention: B 2, Nq 5, Dq 48, S 19, De 40, H 4
        w = {"heads": 4}
        w["wq"], w["bq"] = lin(48, 48)
        w["wk"], w["bk"] = lin(48, 40)
        w["wv"], w["bv"] = lin(48, 40)
        hidden, enc = rnd(2, 5, 48), rnd(2, 19, 40)
        save("qformer_cross_attention", {"in.hidden": hidden, "in.encoder": enc,
                                         **{"w." + k: v for k, v in w.items() if k != "heads"},
                                         "out.context": R.qformer_cross_attention(hidden, enc, w)})

        # CEM: B 2, S_C 9, C 64, S_D 7, C_D 40, H 4 (d 16), eps 1e-6
        w = {"heads": 4, "eps": 1e-6, "nq_w": 1 + rnd(64, scale=0.1), "nq_b": rnd(64, scale=0.05),
             "nkv_w": 1 + rnd(40, scale=0.1), "nkv_b": rnd(40, scale=0.05)}
        w["wq"], w["bq"] = lin(64, 64)
        w["wk"], w["bk"] = lin(64, 40)
        w["wv"], w["bv"] = lin(64, 40)
        w["wo"], w["bo"] = lin(64, 64)
        x, sem = rnd(2, 9, 64), rnd(2, 7, 40)
        save("cem_fusion", {"in.x": x, "in.sem": sem,
                            **{"w." + k: v for k, v in w.items() if k not in ("heads", "eps")},
                            "out.y": R.cem_fusion(x, sem, w)})

        # CAM: B 2, L 13, D 40, Dq 24, Nq 4; 3 images on rows 0, 0, 1
        w = {"queries": rnd(1, 4, 24)}
        w["wa"], w["ba"] = lin(24, 40)
        w["wr"], w["br"] = lin(40, 24)
        hidden = rnd(2, 13, 40)
        last = torch.tensor([12, 6])
        rows, starts = [0, 0, 1], [1, 7, 2]
        xi = rnd(3, 4, 24)
        save("cam_injection", {"in.hidden": hidden, "in.last_idx": last, "in.x": xi,
                               "in.rows": torch.tensor(rows), "in.starts": torch.tensor(starts),
                               **{"w." + k: v for k, v in w.items()},
                               "out.adapt": R.cam_adapt(hidden, last, w),
                               "out.reintegrate": R.cam_reintegrate(hidden, rows, starts, xi, w)})

        # SAM attention (C 32, internal 16, H 2) and upscaling (Cin 16 -> 8 -> 4, 3x3 grid, M 3)
        w = {"heads": 2}
        for n in "qkv":
            w["w" + n], w["b" + n] = lin(16, 32)
        w["wo"], w["bo"] = lin(32, 16)
        tokens, image, image_pe = rnd(3, 6, 32), rnd(1, 50, 32), rnd(1, 50, 32)
        t2i = R.sam_attention(tokens, image + image_pe, image, w)  # k/v shared by the 3 prompts
        i2t = R.sam_attention(image + image_pe, tokens, tokens, w)  # q shared
        u = {"w1": rnd(16, 8, 2, 2, scale=16 ** -0.5), "b1": rnd(8, scale=0.05), "ln_w": 1 + rnd(8, scale=0.1),
             "ln_b": rnd(8, scale=0.05), "w2": rnd(8, 4, 2, 2, scale=8 ** -0.5), "b2": rnd(4, scale=0.05)}
        src = rnd(2, 9, 16).transpose(1, 2).reshape(2, 16, 3, 3)  # channels-last, as SAM's transformer output
        hyper = rnd(2, 3, 4)
        save("sam_mask_decoding", {"in.tokens": tokens, "in.image": image, "in.image_pe": image_pe,
                                   "in.src": src.contiguous(), "in.hyper_in": hyper,
                                   **{"w." + k: v for k, v in w.items() if k != "heads"},
                                   **{"u." + k: v for k, v in u.items()},
                                   "out.t2i": t2i, "out.i2t": i2t, "out.upscaled": R.sam_upscale(src, u),
                                   "out.masks": R.sam_masks(src, hyper, u)})


if __name__ == "__main__":
    main()
