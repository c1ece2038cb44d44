#!/usr/bin/env python3
"""Tiny fixture files in each source format for the org.calico.data.source readers and the MixedParts builder.

Run: /work/venv/bin/python scripts/gen_source_fixtures.py src/test/resources/org/calico/data/fixtures
Masks are rectangles encoded with pycocotools 2.0.11; the ADE20K part maps are 16-bit PNGs written by PIL (mode I;16).
Deterministic. Reference only: never run by CI.
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from pycocotools import mask as mu

root = sys.argv[1]
H, W = 30, 40


def rect(y0, y1, x0, x1, h=H, w=W):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def rle(m):
    r = mu.encode(np.asfortranarray(m))
    return {"size": [int(m.shape[0]), int(m.shape[1])], "counts": r["counts"].decode("ascii")}


def image(path, h=H, w=W, seed=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def dump(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


# ---------------------------------------------------------------- PACO-LVIS
def paco(split, specs, first_img, first_ann):
    cats = [{"id": 232, "name": "chair", "supercategory": "OBJECT"}, {"id": 1000, "name": "stool", "supercategory": "OBJECT"},
            {"id": 1050, "name": "table", "supercategory": "OBJECT"}, {"id": 735, "name": "mug", "supercategory": "OBJECT"},
            {"id": 207, "name": "car_(automobile)", "supercategory": "OBJECT"}]
    pnames = ["chair:leg", "chair:seat", "chair:back", "stool:leg", "stool:seat", "table:leg", "table:top", "mug:handle", "mug:body",
              "car_(automobile):wheel", "car_(automobile):window"]
    for i, n in enumerate(pnames):
        cats.append({"id": 2000 + i, "name": n, "supercategory": "PART"})
    pid = {n: 2000 + i for i, n in enumerate(pnames)}
    oid = {"chair": 232, "stool": 1000, "table": 1050, "mug": 735, "car": 207}
    images, anns = [], []
    iid, aid = first_img, first_ann
    for spec in specs:
        fn = f"{split}2017/{iid:012d}.jpg"
        images.append({"id": iid, "file_name": fn, "width": W, "height": H, "license": 1, "neg_category_ids": [], "not_exhaustive_category_ids": []})
        image(os.path.join(root, "coco", fn), seed=iid)
        for obj, parts, box in spec:
            y0, y1, x0, x1 = box
            om = rect(y0, y1, x0, x1)
            obj_id = aid
            anns.append({"id": obj_id, "image_id": iid, "category_id": oid[obj], "segmentation": rle(om), "bbox": [x0, y0, x1 - x0, y1 - y0],
                         "area": int(om.sum()), "obj_ann_id": obj_id})
            aid += 1
            for pname, pbox in parts:
                pm = rect(*pbox)
                anns.append({"id": aid, "image_id": iid, "category_id": pid[f"{'car_(automobile)' if obj == 'car' else obj}:{pname}"],
                             "segmentation": rle(pm), "area": int(pm.sum()), "obj_ann_id": obj_id})
                aid += 1
        iid += 1
    return {"images": images, "annotations": anns, "categories": cats, "part_categories": [], "attributes": []}, aid


chair = lambda: ("chair", [("leg", (20, 30, 5, 35)), ("seat", (14, 20, 5, 35)), ("back", (2, 14, 5, 12))], (2, 30, 5, 35))
stool = lambda: ("stool", [("leg", (15, 30, 8, 32)), ("seat", (8, 15, 8, 32))], (8, 30, 8, 32))
table = lambda: ("table", [("leg", (12, 30, 2, 38)), ("top", (6, 12, 2, 38))], (6, 30, 2, 38))
mug = lambda: ("mug", [("handle", (10, 20, 25, 32)), ("body", (5, 28, 8, 25))], (5, 28, 8, 32))
car = lambda: ("car", [("wheel", (22, 29, 4, 36)), ("window", (6, 12, 10, 30))], (4, 29, 2, 38))
train_specs = [[chair()], [chair()], [stool()], [stool()], [table()], [table()], [mug()], [car()],
               [chair(), ("chair", [("leg", (20, 30, 0, 4))], (18, 30, 0, 4))]]  # two chairs: skipped (max 1 instance)
d, next_ann = paco("train", train_specs, 1, 1)
d["annotations"].append({"id": next_ann, "image_id": 1, "category_id": 232, "segmentation": [], "area": 0, "obj_ann_id": next_ann})  # empty
d["annotations"].append({"id": next_ann + 1, "image_id": 1, "category_id": 2000, "segmentation": rle(rect(0, 2, 0, 2)), "area": 4, "obj_ann_id": 99999})  # orphan
dump(d, os.path.join(root, "paco", "paco_lvis_v1_train.json"))
d, _ = paco("val", [[chair()], [stool()], [table()], [chair()]], 101, 1001)
dump(d, os.path.join(root, "paco", "paco_lvis_v1_val.json"))

# ---------------------------------------------------------------- PartImageNet (Seg release)
pin_cats = [(0, "Quadruped Head", "Quadruped"), (1, "Quadruped Body", "Quadruped"), (2, "Quadruped Foot", "Quadruped"), (3, "Quadruped Tail", "Quadruped"),
            (15, "Bird Head", "Bird"), (16, "Bird Body", "Bird"), (17, "Bird Wing", "Bird"), (18, "Bird Foot", "Bird"), (19, "Bird Tail", "Bird"),
            (31, "Aeroplane Head", "Aeroplane"), (32, "Aeroplane Body", "Aeroplane"), (33, "Aeroplane Wing", "Aeroplane"),
            (34, "Aeroplane Engine", "Aeroplane"), (35, "Aeroplane Tail", "Aeroplane")]
pin_imgs = [("n02085620_10074.JPEG", [(0, [[2, 2, 12, 2, 12, 10, 2, 10]]), (1, [[12, 5, 35, 5, 35, 20, 12, 20]]), (2, [[14, 20, 20, 20, 20, 29, 14, 29], [28, 20, 34, 20, 34, 29, 28, 29]]),
                                        (3, [[35, 5, 39, 5, 39, 8]])]),
            ("n02085620_2650.JPEG", [(0, [[30, 2, 38, 2, 38, 10, 30, 10]]), (1, [[5, 8, 30, 8, 30, 22, 5, 22]]), (2, [[6, 22, 12, 22, 12, 29, 6, 29]])]),
            ("n01530575_1894.JPEG", [(15, [[28, 3, 36, 3, 36, 11, 28, 11]]), (16, [[10, 8, 30, 8, 30, 20, 10, 20]]), (17, [[12, 10, 24, 10, 24, 16, 12, 16]]),
                                     (19, [[2, 12, 10, 10, 10, 16]]), (18, [[18, 20, 20, 20]])]),  # a 2-point (degenerate) foot polygon
            ("n02690373_3378.JPEG", [(31, [[33, 10, 39, 10, 39, 16, 33, 16]]), (32, [[5, 10, 33, 10, 33, 16, 5, 16]]), (33, [[15, 16, 25, 16, 22, 26, 14, 26]]),
                                     (35, [[2, 2, 8, 2, 8, 10, 2, 10]]), (34, [[17, 22, 23, 22, 23, 25, 17, 25]])])]
for split, sel in (("train", pin_imgs), ("val", pin_imgs[1:])):
    images, anns = [], []
    aid = 1
    for i, (fn, parts) in enumerate(sel):
        images.append({"id": i + 1, "file_name": fn, "width": W, "height": H})
        image(os.path.join(root, "partimagenet", "images", split, fn), seed=100 + i)
        for cid, polys in parts:
            anns.append({"id": aid, "image_id": i + 1, "category_id": cid, "segmentation": polys, "area": 0, "bbox": [0, 0, 1, 1], "iscrowd": 0})
            aid += 1
    dump({"images": images, "annotations": anns, "categories": [{"id": c, "name": n, "supercategory": s} for c, n, s in pin_cats]},
         os.path.join(root, "partimagenet", "annotations", split, split + ".json"))
with open(os.path.join(root, "partimagenet", "LOC_synset_mapping.txt"), "w") as f:
    f.write("n01530575 brambling, Fringilla montifringilla\nn02085620 Chihuahua\nn02690373 airliner\n")

# ---------------------------------------------------------------- ADE20K-Part-234
cls = open(os.path.join(os.path.dirname(__file__), "..", "src/main/resources/org/calico/data/source/ade20k-part234-classes.txt")).read().split("\n")
objs = cls[cls.index("[objects]") + 1:cls.index("[parts]")]
parts = [p for p in cls[cls.index("[parts]") + 1:] if p]
P = lambda n: parts.index(n)
O = lambda n: objs.index(n)
ade_imgs = [("ADE_train_00000001.jpg", [("chair", (2, 30, 2, 20), [("chair's leg", (20, 30, 2, 20)), ("chair's seat", (14, 20, 2, 20)), ("chair's back", (2, 14, 2, 8))]),
                                        ("stool", (10, 30, 24, 38), [("stool's leg", (18, 30, 24, 38)), ("stool's seat", (10, 18, 24, 38))])]),
            ("ADE_train_00000002.jpg", [("stool", (8, 30, 5, 35), [("stool's leg", (16, 30, 5, 35)), ("stool's seat", (8, 16, 5, 35))])]),
            ("ADE_train_00000003.jpg", [("chair", (2, 30, 10, 36), [("chair's leg", (20, 30, 10, 36)), ("chair's seat", (14, 20, 10, 36)),
                                                                    ("chair's back", (2, 14, 10, 16))])]),
            ("ADE_train_00000004.jpg", [("table", (6, 30, 2, 38), [("table's leg", (12, 30, 2, 38)), ("table's top", (6, 12, 2, 38))])])]
images, anns = [], []
aid = 1
for i, (fn, insts) in enumerate(ade_imgs):
    images.append({"id": i + 1, "file_name": fn, "width": W, "height": H})
    image(os.path.join(root, "ade20k", "images", "training", fn), seed=200 + i)
    lab = np.full((H, W), 65535, np.uint16)
    for obj, box, ps in insts:
        om = rect(*box)
        seg = rle(om) if i % 2 == 0 else [[box[2], box[0], box[3] - 0.01, box[0], box[3] - 0.01, box[1] - 0.01, box[2], box[1] - 0.01]]
        anns.append({"id": aid, "image_id": i + 1, "category_id": O(obj), "segmentation": seg, "area": int(om.sum()), "iscrowd": 0,
                     "part_category_id": [P(p) for p, _ in ps]})
        aid += 1
        for p, pb in ps:
            lab[pb[0]:pb[1], pb[2]:pb[3]] = P(p)
    os.makedirs(os.path.join(root, "ade20k", "annotations_detectron2_part", "training"), exist_ok=True)
    Image.fromarray(lab, mode="I;16").save(os.path.join(root, "ade20k", "annotations_detectron2_part", "training", fn.replace(".jpg", ".png")))
dump({"images": images, "annotations": anns, "categories": [{"id": i, "name": n} for i, n in enumerate(objs)]},
     os.path.join(root, "ade20k", "ade20k_instance_train.json"))

# ---------------------------------------------------------------- MixedParts COCO-style (layout UNVERIFIED; object + "object:part" categories, no obj_ann_id)
mp_cats = [{"id": 1, "name": "chair", "supercategory": "OBJECT"}, {"id": 2, "name": "bench", "supercategory": "OBJECT"},
           {"id": 10, "name": "chair:leg", "supercategory": "PART"}, {"id": 11, "name": "chair:seat", "supercategory": "PART"},
           {"id": 12, "name": "chair:back", "supercategory": "PART"}, {"id": 20, "name": "bench:leg", "supercategory": "PART"},
           {"id": 21, "name": "bench:seat", "supercategory": "PART"}, {"id": 30, "name": "kettle:spout", "supercategory": "PART"},
           {"id": 31, "name": "kettle:body", "supercategory": "PART"}]
mp = [("m1.jpg", [(1, (2, 30, 2, 20)), (10, (20, 30, 2, 20)), (11, (14, 20, 2, 20)), (12, (2, 14, 2, 8))]),
      ("m2.jpg", [(2, (10, 30, 2, 38)), (20, (20, 30, 2, 38)), (21, (10, 20, 2, 38))]),
      ("m3.jpg", [(30, (5, 12, 2, 10)), (31, (8, 28, 10, 35))]),  # parts only: object = union
      ("m4.jpg", [(1, (2, 30, 20, 38)), (10, (20, 30, 20, 38)), (11, (14, 20, 20, 38)), (12, (2, 14, 32, 38))])]
images, anns = [], []
aid = 1
for i, (fn, items) in enumerate(mp):
    images.append({"id": i + 1, "file_name": fn, "width": W, "height": H})
    image(os.path.join(root, "mixedparts", "images", fn), seed=300 + i)
    for cid, box in items:
        m = rect(*box)
        y0, y1, x0, x1 = box
        anns.append({"id": aid, "image_id": i + 1, "category_id": cid, "segmentation": [[x0, y0, x1 - 0.01, y0, x1 - 0.01, y1 - 0.01, x0, y1 - 0.01]],
                     "bbox": [x0, y0, x1 - x0, y1 - y0], "area": int(m.sum()), "iscrowd": 0})
        aid += 1
dump({"images": images, "annotations": anns, "categories": mp_cats}, os.path.join(root, "mixedparts", "mixed_parts_train.json"))
print("ok")
