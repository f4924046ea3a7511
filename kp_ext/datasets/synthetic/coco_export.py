"""Synthetic samples as COCO keypoint annotations and files: the
annotation of one rendered person (:func:`coco_annotation`, also each
sample's ``raw_ann_info``), :func:`export_coco` for a whole dataset, and
:func:`scenes_to_coco` for keypoint scenes drawn without images (the
grouping benchmarks' ground truth)."""
import json
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from .figure import COCO_KEYPOINT_NAMES, COCO_SKELETON, NUM_KEYPOINTS

__all__ = ['coco_annotation', 'export_coco', 'scenes_to_coco']


def coco_annotation(kpts, vis, occ, bbox, area, ann_id, img_id):
    """COCO-style annotation dict (v=2 visible, 1 occluded, 0 outside)."""
    flat = []
    for (x, y), v, o in zip(kpts, vis, occ):
        if v > 0:
            flat += [float(x), float(y), 1 if o > 0 else 2]
        else:
            flat += [0.0, 0.0, 0]
    x1, y1, x2, y2 = (float(b) for b in bbox)
    return dict(id=int(ann_id), image_id=int(img_id), category_id=1,
                keypoints=flat, num_keypoints=int((vis > 0).sum()),
                bbox=[x1, y1, x2 - x1, y2 - y1], area=float(area),
                iscrowd=0)


def export_coco(dataset, out_dir: str, img_ext: str = '.png',
                ann_name: str = 'person_keypoints.json',
                indices: Optional[Sequence[int]] = None) -> str:
    """Write a synthetic dataset as COCO keypoints json + image files.

    Images go to ``out_dir/images/<img_id:06d><img_ext>``, annotations to
    ``out_dir/<ann_name>`` (returned). Keypoint ``v`` is 2 (visible),
    1 (labelled, occluded) or 0 (outside the image, written as 0, 0).
    Coordinates follow kp_ext's convention (pixel centres at integers).
    Annotation ids start at 1 (COCOeval treats id 0 as unmatched).
    """
    meta = getattr(dataset, 'metainfo', {}) or {}
    id2name = meta.get('keypoint_id2name')
    names = ([id2name[k] for k in range(NUM_KEYPOINTS)] if id2name else
             list(COCO_KEYPOINT_NAMES))
    links = meta.get('skeleton_links') or COCO_SKELETON
    img_dir = osp.join(out_dir, 'images')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    seen = set()
    for idx in (range(len(dataset)) if indices is None else indices):
        info = dataset.get_data_info(int(idx))
        img_id = int(info['img_id'])
        raws = info['raw_ann_info']
        raws = [raws] if isinstance(raws, dict) else list(raws)
        annotations.extend(raws)
        if img_id in seen:
            continue
        seen.add(img_id)
        fname = f'{img_id:06d}{img_ext}'
        if not cv2.imwrite(osp.join(img_dir, fname), info['img']):
            raise IOError(f'export_coco: could not write '
                          f'{osp.join(img_dir, fname)}')
        h, w = info['img'].shape[:2]
        images.append(dict(id=img_id, file_name=fname, width=int(w),
                           height=int(h), synthetic=info['img_path']))
    coco = dict(
        info=dict(description='kp_ext synthetic people',
                  seed=int(getattr(dataset, 'seed', 0))),
        images=images, annotations=annotations,
        categories=[dict(id=1, name='person', supercategory='person',
                         keypoints=names,
                         skeleton=[[int(a) + 1, int(b) + 1]
                                   for a, b in links])])
    ann_path = osp.join(out_dir, ann_name)
    with open(ann_path, 'w') as f:
        json.dump(coco, f)
    return ann_path


def scenes_to_coco(scenes, img_size) -> dict:
    """COCO keypoints ground truth of keypoint scenes without images.

    ``scenes``: one ``(keypoints (N, K, 2), visible (N, K), areas (N,))``
    per image, all images ``img_size`` (w, h). Image ``i`` gets id ``i``;
    each person with a visible keypoint one annotation (ids 1, 2, ...; a
    person with none is left out): keypoints as given with ``v = 2 *
    visible``, ``bbox`` (x, y, w, h) the extent of the visible keypoints,
    ``area`` the given one (COCOeval's OKS scale). Categories: one
    ``person`` with keypoint names ``'0' .. 'K-1'``.
    """
    w, h = int(img_size[0]), int(img_size[1])
    images, anns, num_kpts = [], [], None
    for i, (kp, vis, areas) in enumerate(scenes):
        images.append(dict(id=i, width=w, height=h))
        kp = np.asarray(kp, np.float64)
        vis = np.asarray(vis)
        if kp.size:
            num_kpts = kp.shape[1]
        for k, v, area in zip(kp, vis, areas):
            if v.sum() == 0:
                continue
            flat = np.concatenate([k, 2 * v[:, None]], 1).reshape(-1)
            x0, y0 = k[v > 0].min(0)
            x1, y1 = k[v > 0].max(0)
            anns.append(dict(id=len(anns) + 1, image_id=i, category_id=1,
                             iscrowd=0, area=float(area),
                             bbox=[float(x0), float(y0), float(x1 - x0),
                                   float(y1 - y0)],
                             keypoints=[float(t) for t in flat],
                             num_keypoints=int(v.sum())))
    names = [str(k) for k in range(num_kpts if num_kpts else NUM_KEYPOINTS)]
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person',
                                 supercategory='person', keypoints=names,
                                 skeleton=[])])
