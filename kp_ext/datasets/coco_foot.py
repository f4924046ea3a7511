"""COCO people with foot keypoints: the 23-point layout ``coco_foot23.py``
(COCO's 17 + big toe, small toe, heel of each foot), read from the three
files that carry the six foot points.

``foot_layout`` names the file layout:

- ``'wholebody'`` (default): COCO-WholeBody (jin-s13/COCO-WholeBody
  ``data_format.md``): COCO's ``keypoints`` (17 x 3) unchanged, the feet in
  ``foot_kpts`` (6 x 3, left big toe, left small toe, left heel, right big
  toe, right small toe, right heel) and ``foot_valid``; an annotation whose
  ``foot_valid`` is false has no foot points (the file sets them to 0).
- ``'cmu_foot'``: the OpenPose authors' foot training file
  (``person_keypoints_train2017_foot_v1.json``): one ``keypoints`` array of
  23 x 3 per person, COCO's 17 then the 6 foot points (openpose_train
  ``training/a2_coco_jsonToMat.m``: ``numberKeyPoints = 23`` for the foot
  train file; its val file has only the 6 foot points and is not a body
  file). The order of the six inside the array is taken to be BODY_25's
  foot order (= COCO-WholeBody's); the stored openpose_train scripts do not
  state it, so this is an assumption, not a verified fact.
- ``'halpe'``: Halpe-FullBody (26 body points, then face and hands): COCO's
  17, then head, neck, hip, and the feet at 20-25 in the order left big
  toe, right big toe, left small toe, right small toe, left heel, right
  heel (MMPose ``halpe.py``), re-ordered to ``coco_foot23.py``'s.

Whatever the layout, every sample's ``raw_ann_info`` is in COCO-WholeBody's
layout (``keypoints`` 17 x 3, ``foot_kpts`` 6 x 3, ``foot_valid``), the
form ``CocoBodyFootMetric`` and the codec oracle read
(``annotation_fields`` of ``coco_foot23.py``). Which people are used and
the bad-annotation policy are :class:`CocoDataset`'s (a person needs a
labelled body keypoint: COCO's ``num_keypoints`` counts body points only).
"""
import copy
from typing import Optional, Tuple

import numpy as np

from kp_ext.registry import DATASETS
from .coco import CocoDataset

__all__ = ['CocoFootDataset', 'FOOT_LAYOUTS', 'foot_annotation']

#: file layouts: (length of ``keypoints`` in points, the six foot points'
#: indices in it in coco_foot23.py's order, or None: in ``foot_kpts``)
FOOT_LAYOUTS = {
    'wholebody': (17, None),
    'cmu_foot': (23, (17, 18, 19, 20, 21, 22)),
    'halpe': (None, (20, 22, 24, 21, 23, 25)),
}


def foot_annotation(ann: dict, layout: str, where: str = ''
                    ) -> Tuple[Optional[dict], Optional[str]]:
    """One annotation of ``layout`` -> ``(the annotation in COCO-WholeBody
    layout, None)``, or ``(None, problem)`` when its keypoint arrays have
    the wrong length. Other fields are copied."""
    if layout not in FOOT_LAYOUTS:
        raise ValueError(f'foot_layout must be one of {sorted(FOOT_LAYOUTS)}'
                         f', got {layout!r}')
    out = copy.deepcopy(ann)
    try:
        flat = np.asarray(ann.get('keypoints', ()),
                          np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None, f'{where}keypoints are not numbers'
    n_body, foot_idx = FOOT_LAYOUTS[layout]
    if layout == 'wholebody':
        if flat.size != 51:
            return None, (f'{where}has {flat.size} keypoint values, '
                          'expected 51 (COCO-WholeBody: 17 body keypoints)')
        valid = bool(ann.get('foot_valid', 'foot_kpts' in ann))
        try:
            foot = np.asarray(ann.get('foot_kpts', [0.0] * 18),
                              np.float64).reshape(-1)
        except (TypeError, ValueError):
            return None, f'{where}foot_kpts are not numbers'
        if foot.size != 18:
            return None, (f'{where}has {foot.size} foot_kpts values, '
                          'expected 18 (6 foot keypoints x (x, y, v))')
        if not valid:
            foot = np.zeros(18)
    else:
        if layout == 'cmu_foot' and flat.size != 69:
            return None, (f'{where}has {flat.size} keypoint values, '
                          "expected 69 (foot_layout='cmu_foot': 17 body + "
                          '6 foot keypoints)')
        if layout == 'halpe' and (flat.size % 3 or flat.size < 78):
            return None, (f'{where}has {flat.size} keypoint values, '
                          "expected at least 78 (foot_layout='halpe': 26 "
                          'body keypoints, then face and hands)')
        pts = flat.reshape(-1, 3)
        foot = pts[list(foot_idx)].reshape(-1)
        flat = pts[:17].reshape(-1)
        valid = bool((foot[2::3] > 0).any())
    out['keypoints'] = flat.tolist()
    out['foot_kpts'] = foot.tolist()
    out['foot_valid'] = valid
    out['num_keypoints'] = int(ann.get('num_keypoints',
                                       np.count_nonzero(flat[2::3] > 0)))
    return out, None


@DATASETS.register_module()
class CocoFootDataset(CocoDataset):
    """COCO keypoints with the six foot points (module doc): samples of the
    23-point layout ``coco_foot23.py`` (the parts of ``body25.py`` without
    the derived neck and mid-hip).

    Args:
        foot_layout (str): ``'wholebody'`` (default), ``'cmu_foot'`` or
            ``'halpe'`` (module doc).
        Others: :class:`CocoDataset` (``bbox_file`` too: detections carry
            no keypoints).
    """

    METAINFO: dict = dict(from_file='coco_foot23.py')
    DATASET_DOCS = 'coco-wholebody-feet'

    def __init__(self, ann_file: str = '', foot_layout: str = 'wholebody',
                 **kwargs):
        if foot_layout not in FOOT_LAYOUTS:
            raise ValueError(f'CocoFootDataset: foot_layout must be one of '
                             f'{sorted(FOOT_LAYOUTS)}, got {foot_layout!r}')
        self.foot_layout = foot_layout
        super().__init__(ann_file=ann_file, **kwargs)

    def _parse_ann(self, ann: dict, img: dict):
        where = (f'{self.ann_file}: annotation id {ann.get("id")} (image id '
                 f'{img["id"]}, {img.get("file_name")}): ')
        if ann.get('iscrowd', 0):
            return False, None
        wb, problem = foot_annotation(ann, self.foot_layout, where)
        if problem is not None:
            if ann.get('num_keypoints', 1) == 0:
                return False, None
            self._bad(problem)
            return True, None
        merged = dict(wb)
        merged['keypoints'] = wb['keypoints'] + wb['foot_kpts']
        usable, info = super()._parse_ann(merged, img)
        if info is not None:
            info['raw_ann_info'] = wb
        return usable, info
