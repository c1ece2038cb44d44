#!/usr/bin/env python3
"""COCOeval (segm) cross-check cases for org.calico.eval.coco, produced with pycocotools 2.0.11.

Run: /work/venv/bin/python scripts/gen_cocoeval_cases.py src/test/resources/org/calico/eval/coco
Writes <name>.gt.json, <name>.dt.json and <name>.expected.json (the 12 stats) per case. Reference only.
"""
import contextlib
import copy
import io
import json
import os
import sys

import numpy as np
from pycocotools import mask as mu
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

out_dir = sys.argv[1]
rng = np.random.default_rng(7)


def enc(m):
    r = mu.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode("ascii")}


def rect(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def run(name, gt, dt, **params):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        res = coco.loadRes(copy.deepcopy(dt))
        ev = COCOeval(coco, res, "segm")
        for k, v in params.items():
            setattr(ev.params, k, v)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    for suffix, obj in (("gt", gt), ("dt", dt), ("expected", {"stats": [float(s) for s in ev.stats], "params": params})):
        with open(os.path.join(out_dir, f"{name}.{suffix}.json"), "w") as f:
            json.dump(obj, f, separators=(",", ":"))
    print(name, np.round(ev.stats, 6).tolist())


# 1. the spec's toy case (data-and-metrics.md 5.8) and the same with the false positive first
gt = {"images": [{"id": 1, "height": 20, "width": 20}, {"id": 2, "height": 20, "width": 20}],
      "categories": [{"id": 1, "name": "object"}],
      "annotations": [
          {"id": 1, "image_id": 1, "category_id": 1, "segmentation": enc(rect(20, 20, 0, 10, 0, 10)), "area": 100, "iscrowd": 0},
          {"id": 2, "image_id": 1, "category_id": 1, "segmentation": enc(rect(20, 20, 10, 20, 10, 20)), "area": 100, "iscrowd": 0},
          {"id": 3, "image_id": 2, "category_id": 1, "segmentation": enc(rect(20, 20, 5, 15, 5, 15)), "area": 100, "iscrowd": 0}]}
dt = [{"image_id": 1, "category_id": 1, "segmentation": enc(rect(20, 20, 0, 10, 0, 9)), "score": 1.0},
      {"image_id": 1, "category_id": 1, "segmentation": enc(rect(20, 20, 12, 20, 12, 20)), "score": 1.0},
      {"image_id": 1, "category_id": 1, "segmentation": enc(rect(20, 20, 0, 5, 15, 20)), "score": 1.0},
      {"image_id": 2, "category_id": 1, "segmentation": enc(rect(20, 20, 5, 15, 5, 10)), "score": 1.0}]
run("spec-toy", gt, dt)
run("spec-toy-fp-first", gt, [dt[2], dt[0], dt[1], dt[3]])


def blob(h, w):
    """A random rectangle or ellipse, sometimes large (area ranges small/medium/large all occur)."""
    m = np.zeros((h, w), bool)
    cy, cx = rng.integers(0, h), rng.integers(0, w)
    ry, rx = rng.integers(1, max(2, h // 2)), rng.integers(1, max(2, w // 2))
    yy, xx = np.mgrid[0:h, 0:w]
    if rng.random() < 0.5:
        m[max(0, cy - ry):cy + ry, max(0, cx - rx):cx + rx] = True
    else:
        m = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return m


def jitter(m):
    """A detection near a GT mask: shifted and partly eroded."""
    dy, dx = rng.integers(-3, 4), rng.integers(-3, 4)
    s = np.roll(np.roll(m, dy, 0), dx, 1)
    if rng.random() < 0.3:
        s &= rng.random(s.shape) < 0.9
    return s


def random_case(name, n_img, n_cat, crowd_p=0.1, score_round=1, polys=False, gt_id0=False, extra_dt_img=False, **params):
    images, anns, dts = [], [], []
    aid = 0 if gt_id0 else 1
    for i in range(1, n_img + 1):
        h, w = int(rng.integers(30, 140)), int(rng.integers(30, 140))
        images.append({"id": i * 3, "height": h, "width": w, "file_name": f"{i}.jpg"})
        for _ in range(int(rng.integers(0, 6))):
            cat = int(rng.integers(1, n_cat + 1))
            if polys and rng.random() < 0.4:
                x0, y0 = float(rng.uniform(0, w - 5)), float(rng.uniform(0, h - 5))
                x1, y1 = float(rng.uniform(x0 + 2, w)), float(rng.uniform(y0 + 2, h))
                seg = [[x0, y0, x1, y0 + 1.5, x1 - 0.7, y1, x0 + 0.3, y1 - 2.2]]
                rle = mu.merge(mu.frPyObjects(seg, h, w))
                m = mu.decode(rle).astype(bool)
            else:
                m = blob(h, w)
                seg = enc(m)
            crowd = int(rng.random() < crowd_p)
            anns.append({"id": aid, "image_id": i * 3, "category_id": cat, "segmentation": seg,
                         "area": float(m.sum()) if rng.random() < 0.9 else float(m.sum()) * 1.5, "iscrowd": crowd})
            aid += 1
            for _ in range(int(rng.integers(0, 3))):
                dc = cat if rng.random() < 0.85 else int(rng.integers(1, n_cat + 1))
                dts.append({"image_id": i * 3, "category_id": dc, "segmentation": enc(jitter(m)),
                            "score": float(np.round(rng.random(), score_round))})
        for _ in range(int(rng.integers(0, 3))):  # false positives
            dts.append({"image_id": i * 3, "category_id": int(rng.integers(1, n_cat + 1)), "segmentation": enc(blob(h, w)),
                        "score": float(np.round(rng.random(), score_round))})
    perm = rng.permutation(len(dts))
    dts = [dts[j] for j in perm]
    cats = [{"id": c, "name": f"c{c}"} for c in range(1, n_cat + 1)]
    run(name, {"images": images, "annotations": anns, "categories": cats}, dts, **params)


random_case("random-1cat", 12, 1)
random_case("random-3cat", 20, 3, score_round=1)
random_case("random-ties", 15, 2, score_round=0)  # scores 0 or 1: heavy ties, input order matters
random_case("random-crowd-poly", 15, 2, crowd_p=0.3, polys=True, score_round=2)
random_case("random-gt-id0", 8, 1, gt_id0=True)
random_case("random-nocats", 12, 3, useCats=0)
random_case("random-maxdets", 10, 2, maxDets=[1, 3, 5])

# many detections in one image (maxDets=100 truncation) on a 64x64 image
h = w = 64
g = [blob(h, w) for _ in range(6)]
gt = {"images": [{"id": 1, "height": h, "width": w}], "categories": [{"id": 1}],
      "annotations": [{"id": j + 1, "image_id": 1, "category_id": 1, "segmentation": enc(m), "area": float(m.sum()), "iscrowd": 0}
                      for j, m in enumerate(g)]}
dt = []
for j in range(130):
    src = g[j % 6] if j % 5 == 0 else blob(h, w)
    dt.append({"image_id": 1, "category_id": 1, "segmentation": enc(jitter(src)), "score": float(np.round(rng.random(), 2))})
run("many-dets", gt, dt)

# bbox branch of loadRes: results carry a bbox, so area = w*h of that box
gt2 = copy.deepcopy(gt)
dtb = []
for j in range(20):
    m = jitter(g[j % 6]) if j % 2 == 0 else blob(h, w)
    bb = [float(v) for v in mu.toBbox(mu.encode(np.asfortranarray(m.astype(np.uint8))))]
    dtb.append({"image_id": 1, "category_id": 1, "segmentation": enc(m), "bbox": bb, "score": float(np.round(rng.random(), 1))})
run("bbox-branch", gt2, dtb)
