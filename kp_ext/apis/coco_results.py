"""COCO keypoint results (the list ``COCO.loadRes`` / COCOeval read) from
:func:`kp_ext.apis.prediction_to_dict` output.

One result per person: ``image_id``, ``category_id``, ``keypoints`` (the
flattened ``[x, y, score, ...]``), ``score`` (person score) and ``bbox``
in COCO's **x, y, w, h** (the prediction dicts hold x1, y1, x2, y2,
``bbox_format: 'xyxy'``; a person without a box gets its keypoints'
extent).
"""
import os.path as osp
from typing import List, Optional

import numpy as np

__all__ = ['coco_image_id', 'to_coco_results']


def coco_image_id(name: str) -> Optional[int]:
    """The COCO image id of a file named as COCO's images are
    (``000000000139.jpg`` -> 139); None for any other name."""
    stem = osp.splitext(osp.basename(str(name)))[0]
    return int(stem) if stem.isdigit() else None


def to_coco_results(pred: dict, image_id: int,
                    category_id: int = 1) -> List[dict]:
    """The COCO results of one image's prediction dict (module doc)."""
    fmt = pred.get('bbox_format', 'xyxy')
    if fmt != 'xyxy':
        raise ValueError(f'prediction of {pred.get("img_path")!r}: '
                         f"bbox_format {fmt!r}, expected 'xyxy'")
    results = []
    for inst in pred.get('instances', []):
        kpts = [float(v) for v in inst['keypoints']]
        if 'bbox' in inst:
            x1, y1, x2, y2 = (float(v) for v in inst['bbox'][:4])
        else:
            xy = np.asarray(kpts, np.float64).reshape(-1, 3)[:, :2]
            (x1, y1), (x2, y2) = xy.min(axis=0), xy.max(axis=0)
        results.append(dict(
            image_id=int(image_id), category_id=int(category_id),
            keypoints=kpts, score=float(inst['score']),
            bbox=[round(float(x1), 3), round(float(y1), 3),
                  round(float(x2 - x1), 3), round(float(y2 - y1), 3)]))
    return results
