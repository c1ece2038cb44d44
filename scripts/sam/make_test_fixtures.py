#!/usr/bin/env python3
"""Generates the small SAM-related test fixtures under src/test/resources (run from the repository root with the
reference venv: /work/venv/bin/python scripts/sam/make_test_fixtures.py). Not used at run time or by CI.

1. org/calico/image/pil_resize.safetensors: Pillow Image.resize(BILINEAR) outputs (uint8 RGB) for procedurally
   generated inputs (the Java test regenerates the same inputs from pattern()), over down-, up- and one-axis resizes.
2. org/calico/sam/hf_sam_keys.txt: state-dict names and shapes of transformers.SamModel for a small vision config
   (hidden 64, 2 layers, 4 heads, image 256, window 4, global [1]) with the released prompt encoder / decoder.
3. org/calico/sam/rel_pos.safetensors: get_rel_pos (image_encoder.py) results for tables whose length differs from
   2*max(q,k)-1 (linear interpolation) and for q != k, computed with the upstream formula written out below.
"""
import os
import numpy as np
import PIL
from PIL import Image
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "test", "resources", "org", "calico")


def pattern(h, w, seed):
    """Deterministic RGB uint8 content with edges and gradients: same formula as PilResizeTest.pattern."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    out = np.empty((h, w, 3), dtype=np.uint8)
    for c in range(3):
        v = (x * x * (7 + c) + y * (31 + 2 * seed) + x * y * (3 + c) + c * 101 + seed * 17) % 256
        v = np.where(((x // 5 + y // 7 + seed) % 3) == 0, 255 - v, v)
        out[..., c] = v.astype(np.uint8)
    return out


CASES = [  # (h, w, out_h, out_w)
    (200, 150, 256, 192),   # the sam_predictor case's shape
    (150, 230, 167, 256),   # the sam_image_encoder case's shape
    (97, 61, 40, 25),       # downscale, odd sizes
    (13, 9, 64, 44),        # upscale
    (300, 40, 30, 4),       # strong downscale (wide filter support)
    (1, 50, 1, 20),         # width only (no vertical pass)
    (50, 1, 20, 1),         # height only (no horizontal pass)
    (64, 48, 64, 80),       # width up, height unchanged
    (33, 1000, 8, 256),     # long side 1000 -> 256
]


def pil_fixture():
    tensors = {}
    for i, (h, w, oh, ow) in enumerate(CASES):
        img = Image.fromarray(pattern(h, w, i), mode="RGB")
        out = np.asarray(img.resize((ow, oh), Image.BILINEAR))
        assert out.shape == (oh, ow, 3)
        tensors[f"case{i}"] = np.ascontiguousarray(out)
    save_file(tensors, os.path.join(ROOT, "image", "pil_resize.safetensors"), metadata={"pillow": PIL.__version__})


def hf_keys():
    from transformers import SamConfig, SamModel
    from transformers.models.sam.configuration_sam import SamVisionConfig
    vc = SamVisionConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=256, global_attn_indexes=[1],
                         window_size=4, mlp_dim=256, output_channels=256)
    m = SamModel(SamConfig(vision_config=vc.to_dict()))
    with open(os.path.join(ROOT, "sam", "hf_sam_keys.txt"), "w") as f:
        f.write("# transformers.SamModel state_dict (transformers %s): name shape\n" % __import__("transformers").__version__)
        for k, v in m.state_dict().items():
            f.write("%s %s\n" % (k, ",".join(str(s) for s in v.shape)))


def get_rel_pos_reference(q_size, k_size, rel_pos):
    """Upstream get_rel_pos semantics: linear resize of the table to 2*max(q,k)-1 rows, then gather at scaled coords."""
    max_rel = int(2 * max(q_size, k_size) - 1)
    if rel_pos.shape[0] != max_rel:
        t = F.interpolate(rel_pos.reshape(1, rel_pos.shape[0], -1).permute(0, 2, 1), size=max_rel, mode="linear")
        t = t.reshape(-1, max_rel).permute(1, 0)
    else:
        t = rel_pos
    qc = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    kc = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    rel = (qc - kc) + (k_size - 1) * max(q_size / k_size, 1.0)
    return t[rel.long()]


def rel_pos_fixture():
    g = torch.Generator().manual_seed(5)
    out = {}
    for name, (q, k, length) in {"interp": (5, 5, 7), "shrink": (3, 3, 9), "qk": (3, 6, 11), "kq": (6, 3, 11)}.items():
        table = torch.randn(length, 4, generator=g)
        out[name + ".table"] = table.numpy()
        out[name + ".out"] = get_rel_pos_reference(q, k, table).contiguous().numpy()
    save_file(out, os.path.join(ROOT, "sam", "rel_pos.safetensors"))


if __name__ == "__main__":
    pil_fixture()
    hf_keys()
    rel_pos_fixture()
    print("ok")
