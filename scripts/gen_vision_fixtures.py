"""Generates the small reference fixtures of the vision tests (src/test/resources/vision/).

Run with the reference venv (never at run time):  /work/venv/bin/python scripts/gen_vision_fixtures.py
Pillow 12.3.0, torch 2.13.0 (CPU) produced the committed files.

pil_resize.safetensors
  src.<name> (U8 HxWx3), out.<name>.<filter> (U8 outHxoutWx3; to224: bicubic only) = PIL Image.resize((outW, outH), filter) -- what
  torchvision's Resize does to a PIL image (LAVIS blip_image_eval, SAM ResizeLongestSide).
  norm.<name>.<clip|imagenet> (F32 3xHxW) = ToTensor (x.float().div(255)) then Normalize ((x - mean) / std), torch
  float32, of out.<name>.bicubic.
pos_interp.safetensors
  grid (F32 1x4x37x37); size.<aa>.<h>x<w> = F.interpolate(grid, size=(h, w), mode='bicubic', align_corners=False,
  antialias=aa); sf.<aa>.<h>x<w> = F.interpolate(grid, scale_factor=((h + 0.1) / 37, (w + 0.1) / 37), ...)
  (original DINOv2 interpolate_offset=0.1 path).
"""
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file

OUT = "src/test/resources/vision/"
rng = np.random.default_rng(20240601)


def image(h, w):
    """Noise plus smooth structure, so both flat and high-frequency areas are covered."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([255 * xx / max(w - 1, 1), 255 * yy / max(h - 1, 1), 127 + 120 * np.sin(xx / 3.0 + yy / 5.0)], -1)
    noise = rng.integers(-60, 61, size=(h, w, 3))
    img = np.clip(base + noise, 0, 255).astype(np.uint8)
    img[h // 3: h // 2, w // 4: w // 2] = [255, 0, 0]  # hard edges
    img[0, :] = 0
    img[:, -1] = 255
    return img


CLIP = ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])

cases = {  # name: (src h, w, out h, w)
    "up": (29, 23, 64, 48),       # upsample both axes
    "down": (120, 90, 24, 40),    # downsample both (different factors)
    "mixed": (30, 200, 60, 50),   # up in H, down in W
    "hOnly": (40, 33, 40, 57),    # horizontal pass only
    "vOnly": (41, 30, 17, 30),    # vertical pass only
    "to224": (61, 47, 224, 224),  # the real BLIP-2 / DINOv2 target size
}
tensors = {}
for name, (h, w, oh, ow) in cases.items():
    src = image(h, w)
    tensors["src." + name] = torch.from_numpy(src)
    for fname, flt in (("bicubic", Image.BICUBIC), ("bilinear", Image.BILINEAR)):
        if name == "to224" and fname == "bilinear":
            continue  # keep the fixture small
        out = np.asarray(Image.fromarray(src).resize((ow, oh), flt))
        tensors["out.%s.%s" % (name, fname)] = torch.from_numpy(out.copy())
    if name == "up":
        x = torch.from_numpy(tensors["out.up.bicubic"].numpy()).permute(2, 0, 1).contiguous().float().div(255)
        for nn_, (m, s) in (("clip", CLIP), ("imagenet", IMAGENET)):
            mt = torch.as_tensor(m, dtype=torch.float32).view(-1, 1, 1)
            st = torch.as_tensor(s, dtype=torch.float32).view(-1, 1, 1)
            tensors["norm.up." + nn_] = x.sub(mt).div(st).contiguous()
save_file(tensors, OUT + "pil_resize.safetensors")

g = torch.randn(1, 4, 37, 37, generator=torch.Generator().manual_seed(7))
pt = {"grid": g}
for aa in (True, False):
    for (h, w) in ((16, 16), (8, 6), (40, 20), (9, 37), (37, 37), (74, 5)):
        pt["size.%s.%dx%d" % (int(aa), h, w)] = F.interpolate(g, size=(h, w), mode="bicubic", align_corners=False, antialias=aa).contiguous()
    for (h, w) in ((16, 16), (8, 6), (40, 20)):
        sf = ((h + 0.1) / 37, (w + 0.1) / 37)
        r = F.interpolate(g, scale_factor=sf, mode="bicubic", align_corners=False, antialias=aa)
        assert tuple(r.shape[-2:]) == (h, w)
        pt["sf.%s.%dx%d" % (int(aa), h, w)] = r.contiguous()
save_file(pt, OUT + "pos_interp.safetensors")
print({k: tuple(v.shape) for k, v in tensors.items()})
