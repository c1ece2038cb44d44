#!/usr/bin/env python3
"""Side-by-side for MaskEvalBench: the same formula-defined workloads timed with pycocotools 2.0.11.

Run: /work/venv/bin/python bench/mask_eval_pycocotools.py   (prints microseconds per call and the COCOeval stats)
"""
import contextlib
import io
import math
import timeit

import numpy as np
from pycocotools import mask as mu
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def polygon(dx):
    xy = []
    for i in range(24):
        t = 2 * math.pi * i / 24
        r = 1 + 0.2 * math.sin(5 * t)
        xy += [320 + dx + 200 * r * math.cos(t), 240 + 150 * r * math.sin(t)]
    return xy


def rect(h, w, y0, x0, rh, rw):
    m = np.zeros((h, w), np.uint8)
    m[y0:min(h, y0 + rh), x0:min(w, x0 + rw)] = 1
    r = mu.encode(np.asfortranarray(m))
    return r


poly = [polygon(0)]
a = mu.frPyObjects(poly, 480, 640)[0]
b = mu.frPyObjects([polygon(10)], 480, 640)[0]
images, anns, dts = [], [], []
gid = 1
for i in range(200):
    images.append({"id": i + 1, "height": 128, "width": 128})
    for j in range(5):
        r = rect(128, 128, (i * 7 + j * 13) % 100, (i * 11 + j * 5) % 100, 10 + (i + j) % 20, 10 + (i * 3 + j) % 20)
        anns.append({"id": gid, "image_id": i + 1, "category_id": 1, "segmentation": r, "area": float(mu.area(r)), "iscrowd": 0})
        gid += 1
    for j in range(8):
        r = rect(128, 128, (i * 7 + j * 13 + j % 3) % 100, (i * 11 + j * 5 + 2) % 100, 10 + (i + j) % 20, 12 + (i * 3 + j) % 20)
        dts.append({"image_id": i + 1, "category_id": 1, "segmentation": r, "score": ((i * 31 + j * 17) % 10) / 10.0})


def cocoeval():
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = {"images": images, "annotations": [dict(x) for x in anns], "categories": [{"id": 1}]}
        c.createIndex()
        e = COCOeval(c, c.loadRes([dict(x) for x in dts]), "segm")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats


def us(f, n):
    return min(timeit.repeat(f, number=n, repeat=3)) / n * 1e6


print("polygonToRle  %.2f us" % us(lambda: mu.frPyObjects(poly, 480, 640), 2000))
print("rleIou        %.2f us" % us(lambda: mu.iou([a], [b], [0]), 20000))
print("cocoEval200   %.0f us" % us(cocoeval, 3))
print("stats", [round(float(s), 6) for s in cocoeval()])
