"""COCO AP on the body and foot AP on the feet of 23-point predictions
(``coco_foot23.py``: COCO-17 + 6 foot points), with xtcocotools."""
from collections import OrderedDict
from typing import Dict, List

import numpy as np
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger

from kp_ext.registry import METRICS
from kp_ext.utils import to_numpy
from .coco_metric import STATS_NAMES, CocoKeypointMetric

__all__ = ['CocoBodyFootMetric']

#: annotation field -> xtcocotools ``COCOeval`` iouType that reads it
_IOU_TYPES = {'keypoints': 'keypoints', 'foot_kpts': 'keypoints_foot'}


@METRICS.register_module()
class CocoBodyFootMetric(CocoKeypointMetric):
    """COCO keypoint AP of the 17 body points and foot AP of the 6 foot
    points of a 23-point layout, as COCO-WholeBody evaluates its parts.

    The layout comes from ``dataset_meta['annotation_fields']`` (``[
    ('keypoints', 17), ('foot_kpts', 6)]`` in ``coco_foot23.py``): the
    predictions' keypoints are split into those two COCO fields and each is
    scored by its own xtcocotools ``COCOeval`` (iouType ``'keypoints'``,
    ``'keypoints_foot'``; its part of ``dataset_meta['sigmas']``: COCO's for
    the body, COCO-WholeBody's foot sigmas for the feet; ``use_area``).
    Scores, OKS NMS (on all 23 points) and ground truth as
    :class:`CocoKeypointMetric`: ``ann_file`` must be in COCO-WholeBody's
    layout (``keypoints`` 17 x 3 + ``foot_kpts``); without it the samples'
    ``raw_ann_info`` (which ``CocoFootDataset`` and the synthetic crowds with
    feet write in that layout) or their ``gt_instances`` (23 points, split).

    Keys (default prefix ``coco``): the body's ``coco/AP``, ``coco/AP .5``,
    ... (the names of :class:`CocoKeypointMetric`), and the feet's
    ``coco/foot/AP``, ``coco/foot/AP .5``, ...
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.iou_type != 'keypoints':
            raise ValueError("CocoBodyFootMetric: iou_type must be "
                             f"'keypoints', got {self.iou_type!r}")

    def _fields(self, num_keypoints: int) -> List[tuple]:
        fields = [tuple(f) for f in (self.dataset_meta or {}).get(
            'annotation_fields') or []]
        names = [f[0] for f in fields]
        if names != ['keypoints', 'foot_kpts'] or \
                sum(int(f[1]) for f in fields) != num_keypoints:
            raise ValueError(
                'CocoBodyFootMetric needs dataset_meta["annotation_fields"] '
                "= [('keypoints', 17), ('foot_kpts', 6)] covering the "
                f'{num_keypoints} keypoints (the metainfo coco_foot23.py), '
                f'got {fields or None}')
        return [(n, int(k)) for n, k in fields]

    def _gt_record(self, sample) -> dict:
        rec = super()._gt_record(sample)
        raw = sample.get('raw_ann_info')
        if raw:
            raw = [raw] if isinstance(raw, dict) else list(raw)
            for ann, src in zip(rec['anns'], raw):
                if 'foot_kpts' not in src:
                    raise KeyError(
                        'CocoBodyFootMetric: raw_ann_info of sample '
                        f'{sample.get("img_path", rec["img_id"])} has no '
                        'foot_kpts (COCO-WholeBody layout expected)')
                ann['foot_kpts'] = list(map(float, src['foot_kpts']))
        return rec

    def gt2json(self, gts: List[dict], outfile_prefix: str,
                num_keypoints: int) -> str:
        (_, n_body), (_, n_foot) = self._fields(num_keypoints)
        split = []
        for gt in gts:
            anns = []
            for ann in gt['anns']:
                ann = dict(ann)
                if 'foot_kpts' not in ann:  # from gt_instances: 23 points
                    flat = list(ann['keypoints'])
                    ann['keypoints'] = flat[:3 * n_body]
                    ann['foot_kpts'] = flat[3 * n_body:]
                    ann['num_keypoints'] = int(np.count_nonzero(
                        np.asarray(ann['keypoints'])[2::3]))
                anns.append(ann)
            split.append(dict(gt, anns=anns))
        return super().gt2json(split, outfile_prefix, n_body)

    def results2json(self, kept: Dict[int, List[dict]],
                     outfile_prefix: str) -> str:
        out = []
        for img_id in sorted(kept):
            for inst in kept[img_id]:
                kpts = to_numpy(inst['keypoints'], np.float64)
                (_, n_body), _ = self._fields(len(kpts))
                out.append(dict(
                    image_id=img_id, category_id=1,
                    keypoints=kpts[:n_body].reshape(-1).tolist(),
                    foot_kpts=kpts[n_body:].reshape(-1).tolist(),
                    score=float(inst['score']),
                    foot_score=float(inst['score'])))
        res_file = f'{outfile_prefix}.keypoints.json'
        dump(out, res_file, sort_keys=True, indent=4)
        return res_file

    def _coco_eval(self, coco_gt, res_file: str,
                   sigmas: np.ndarray) -> Dict[str, float]:
        from xtcocotools.cocoeval import COCOeval
        logger = MMLogger.get_current_instance()
        names = STATS_NAMES['keypoints']
        fields = self._fields(len(sigmas))
        prefixes = {'keypoints': '', 'foot_kpts': 'foot/'}
        stats = OrderedDict()
        if len(load(res_file)) == 0:
            logger.warning('CocoBodyFootMetric: no predictions to evaluate;'
                           ' all scores are 0')
            for field, _ in fields:
                stats.update((prefixes[field] + k, 0.0) for k in names)
            return stats
        coco_dt = coco_gt.loadRes(res_file)
        start = 0
        for field, k in fields:
            coco_eval = COCOeval(coco_gt, coco_dt, _IOU_TYPES[field],
                                 sigmas[start:start + k], self.use_area)
            start += k
            coco_eval.params.useSegm = None
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
            stats.update((prefixes[field] + n, float(v))
                         for n, v in zip(names, coco_eval.stats))
        return stats
