#!/usr/bin/env python3
"""Cross-check vectors for org.calico.mask, produced with pycocotools 2.0.11.

Run: /work/venv/bin/python scripts/gen_mask_vectors.py > src/test/resources/org/calico/mask/pycocotools-vectors.json
Deterministic (numpy seed 2024). Reference only: never run by CI.
"""
import json
import sys

import numpy as np
import pycocotools
from pycocotools import mask as mu

rng = np.random.default_rng(2024)


def s(rle):
    return rle["counts"].decode("ascii") if isinstance(rle["counts"], bytes) else rle["counts"]


def rnd_coord(lim):
    kind = rng.integers(4)
    if kind == 0:
        return float(rng.integers(-2, lim + 3))
    if kind == 1:
        return float(np.round(rng.uniform(-2, lim + 2), 1))
    if kind == 2:
        return float(np.round(rng.uniform(0, lim), 2)) + 0.5
    return float(rng.uniform(-1.5, lim + 1.5))


out = {"pycocotools": pycocotools.__version__ if hasattr(pycocotools, "__version__") else "2.0.11",
       "polygons": [], "boxes": [], "masks": [], "merges": [], "ious": [], "uncompressed": []}

for t in range(300):
    h, w = int(rng.integers(1, 41)), int(rng.integers(1, 41))
    npoly = 1 if t < 200 else int(rng.integers(2, 4))
    polys = []
    for _ in range(npoly):
        k = int(rng.integers(3, 13))
        xy = []
        for _ in range(k):
            xy += [rnd_coord(w), rnd_coord(h)]
        if rng.random() < 0.2:  # repeated vertex
            j = int(rng.integers(0, k)) * 2
            xy[j + 2:j + 2] = xy[j:j + 2]
        polys.append(xy)
    rles = mu.frPyObjects(polys, h, w)
    rle = mu.merge(rles)
    out["polygons"].append({"h": h, "w": w, "polygons": polys, "counts": s(rle),
                            "area": int(mu.area(rle)), "bbox": [float(v) for v in mu.toBbox(rle)]})

for t in range(60):
    h, w = int(rng.integers(1, 41)), int(rng.integers(1, 41))
    bb = [float(np.round(rng.uniform(-3, w), 2)), float(np.round(rng.uniform(-3, h), 2)),
          float(np.round(rng.uniform(0, w), 2)), float(np.round(rng.uniform(0, h), 2))]
    rle = mu.frPyObjects(np.array([bb], dtype=np.float64), h, w)[0]
    out["boxes"].append({"h": h, "w": w, "bbox_in": bb, "counts": s(rle), "area": int(mu.area(rle))})


def rnd_mask(h, w):
    p = rng.random()
    kind = rng.integers(3)
    if kind == 0:
        m = rng.random((h, w)) < p
    elif kind == 1:
        m = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        m[y0:rng.integers(y0, h + 1), x0:rng.integers(x0, w + 1)] = True
    else:
        m = np.ones((h, w), bool) if rng.random() < 0.5 else np.zeros((h, w), bool)
    return m


for t in range(120):
    h, w = int(rng.integers(1, 33)), int(rng.integers(1, 33))
    m = rnd_mask(h, w)
    rle = mu.encode(np.asfortranarray(m.astype(np.uint8)))
    out["masks"].append({"h": h, "w": w, "rows": ["".join("1" if v else "0" for v in r) for r in m],
                         "counts": s(rle), "area": int(mu.area(rle)), "bbox": [float(v) for v in mu.toBbox(rle)]})

for t in range(60):
    h, w = int(rng.integers(1, 25)), int(rng.integers(1, 25))
    n = int(rng.integers(2, 4))
    ms = [mu.encode(np.asfortranarray(rnd_mask(h, w).astype(np.uint8))) for _ in range(n)]
    out["merges"].append({"h": h, "w": w, "inputs": [s(r) for r in ms],
                          "union": s(mu.merge(ms, intersect=0)), "intersection": s(mu.merge(ms, intersect=1))})

for t in range(40):
    h, w = int(rng.integers(2, 25)), int(rng.integers(2, 25))
    d = [mu.encode(np.asfortranarray(rnd_mask(h, w).astype(np.uint8))) for _ in range(int(rng.integers(1, 4)))]
    g = [mu.encode(np.asfortranarray(rnd_mask(h, w).astype(np.uint8))) for _ in range(int(rng.integers(1, 4)))]
    crowd = [int(rng.random() < 0.3) for _ in g]
    iou = mu.iou(d, g, crowd)
    out["ious"].append({"h": h, "w": w, "dt": [s(r) for r in d], "gt": [s(r) for r in g], "iscrowd": crowd,
                        "iou": [[float(v) for v in row] for row in np.asarray(iou)]})

for t in range(30):
    h, w = int(rng.integers(1, 200)), int(rng.integers(1, 200))
    total = h * w
    cnts, left = [], total
    while left > 0 and len(cnts) < 12:
        c = int(rng.integers(0, left + 1)) if rng.random() < 0.7 else int(rng.integers(0, 4))
        c = min(c, left)
        cnts.append(c)
        left -= c
    if left:
        cnts.append(left)
    rle = mu.frPyObjects({"size": [h, w], "counts": cnts}, h, w)
    out["uncompressed"].append({"h": h, "w": w, "counts_in": cnts, "counts": s(rle), "area": int(mu.area(rle))})

json.dump(out, sys.stdout, separators=(",", ":"))
