"""Synthetic samples as COCO keypoint annotations and files: the
annotation of one rendered person (:func:`coco_annotation`, also each
sample's ``raw_ann_info``) and :func:`export_coco` for a whole dataset."""
import json
import os
import os.path as osp
from typing import Optional, Sequence

import cv2

from .figure import COCO_KEYPOINT_NAMES, COCO_SKELETON, NUM_KEYPOINTS

__all__ = ['coco_annotation', 'export_coco']

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
