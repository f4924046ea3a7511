"""COCO keypoint AP/AR with xtcocotools (MMPose ``CocoMetric`` semantics)."""
import os
import os.path as osp
import tempfile
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger

from kp_ext.registry import METRICS
from kp_ext.utils import to_numpy
from ..functional import oks_nms, soft_oks_nms

__all__ = ['CocoKeypointMetric']

STATS_NAMES = {
    'keypoints': [
        'AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75',
        'AR (M)', 'AR (L)'
    ],
    # CrowdPose protocol (xtcocotools 'keypoints_crowd')
    'keypoints_crowd': [
        'AP', 'AP .5', 'AP .75', 'AR', 'AR .5', 'AR .75', 'AP(E)', 'AP(M)',
        'AP(H)'
    ],
}


def _scalar(x):
    """A metainfo value as a python scalar (ints stay ints)."""
    x = to_numpy(x)
    if x.size != 1:
        raise ValueError(f'expected a scalar, got shape {x.shape}')
    return x.reshape(-1)[0].item()


@METRICS.register_module(name=['CocoKeypointMetric', 'CocoMetric'])
class CocoKeypointMetric(BaseMetric):
    """COCO keypoint evaluation (AP / AR over OKS thresholds).

    Predictions (``pred_instances``: ``keypoints`` (N, K, 2),
    ``keypoint_scores`` (N, K), optional ``bbox_scores`` (N,) — top-down —
    or ``scores`` (N,) — bottom-up; 1 when neither) are grouped by
    ``img_id``, rescored, filtered by OKS NMS per image, written to
    ``{outfile_prefix}.keypoints.json`` and scored with xtcocotools'
    ``COCOeval`` using ``dataset_meta['sigmas']``.

    Ground truth comes from ``ann_file``, or when it is None from the
    processed samples themselves (written to ``{outfile_prefix}.gt.json``):
    each sample's ``raw_ann_info`` (COCO annotation dicts) when present,
    else its ``gt_instances`` (``keypoints``, ``keypoints_visible``,
    ``bboxes`` xyxy, optional ``areas``; area = box area otherwise), with
    ``img_id``, ``ori_shape`` and category 1. Top-down samples of one
    person are merged per image, duplicates (same ``img_id`` and ``id``)
    dropped.

    Args:
        ann_file (str, optional): COCO-format keypoint annotation file.
        use_area (bool): use the gt ``area`` in OKS (COCO); False for data
            without areas (CrowdPose, AIC).
        iou_type (str): 'keypoints' or 'keypoints_crowd' (CrowdPose; needs
            ``crowdIndex`` in the ann_file images).
        score_mode (str): 'bbox' (score = bbox score), 'bbox_keypoint'
            (bbox score x mean of the keypoint scores above
            ``keypoint_score_thr``, 0 if none; MMPose default) or
            'bbox_rle' (bbox score + mean + max keypoint score).
        keypoint_score_thr (float): see ``score_mode``.
        nms_mode (str): 'oks_nms', 'soft_oks_nms' or 'none'.
        nms_thr (float): OKS threshold of the NMS.
        format_only (bool): only write the result json (needs
            ``outfile_prefix``), return {}.
        outfile_prefix (str, optional): prefix of the json files; a
            temporary directory when None.
        collect_device, prefix: mmengine ``BaseMetric``; default prefix
            'coco', so keys are 'coco/AP', 'coco/AP .5', 'coco/AP .75',
            'coco/AP (M)', 'coco/AP (L)', 'coco/AR', 'coco/AR .5',
            'coco/AR .75', 'coco/AR (M)', 'coco/AR (L)'.
    """
    default_prefix: Optional[str] = 'coco'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 use_area: bool = True,
                 iou_type: str = 'keypoints',
                 score_mode: str = 'bbox_keypoint',
                 keypoint_score_thr: float = 0.2,
                 nms_mode: str = 'oks_nms',
                 nms_thr: float = 0.9,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if iou_type not in STATS_NAMES:
            raise ValueError(f'iou_type must be one of {list(STATS_NAMES)}, '
                             f'got {iou_type!r}')
        if score_mode not in ('bbox', 'bbox_keypoint', 'bbox_rle'):
            raise ValueError("score_mode must be 'bbox', 'bbox_keypoint' or "
                             f"'bbox_rle', got {score_mode!r}")
        if nms_mode not in ('oks_nms', 'soft_oks_nms', 'none'):
            raise ValueError("nms_mode must be 'oks_nms', 'soft_oks_nms' or "
                             f"'none', got {nms_mode!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix (a '
                             'temporary directory would be deleted)')
        self.ann_file = ann_file
        self.coco = None
        if ann_file is not None:
            from xtcocotools.coco import COCO

            from kp_ext.utils.json_file import load_json
            self.coco = COCO(ann_file, ann_data=load_json(
                ann_file, 'CocoMetric: ann_file', expect=dict))
            if not format_only and 'annotations' not in self.coco.dataset:
                raise ValueError(f'{ann_file} has no annotations: evaluation '
                                 'needs them (use format_only=True)')
        self.use_area = use_area
        self.iou_type = iou_type
        self.score_mode = score_mode
        self.keypoint_score_thr = keypoint_score_thr
        self.nms_mode = nms_mode
        self.nms_thr = nms_thr
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix

    # ------------------------------------------------------------ process
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_instances' not in sample:
                raise ValueError(f'{self.__class__.__name__} needs '
                                 'pred_instances in the data samples')
            pred_inst = sample['pred_instances']
            keypoints = to_numpy(pred_inst['keypoints'], np.float64)
            if keypoints.ndim == 2:
                keypoints = keypoints[None]
            n = keypoints.shape[0]
            if 'keypoint_scores' in pred_inst:
                kpt_scores = to_numpy(pred_inst['keypoint_scores'],
                                      np.float64)
                if kpt_scores.size == n * keypoints.shape[1]:
                    # (K,) for one instance; (0, K) when none was found
                    kpt_scores = kpt_scores.reshape(keypoints.shape[:2])
            else:
                kpt_scores = np.ones(keypoints.shape[:2])
            if kpt_scores.shape != keypoints.shape[:2]:
                raise ValueError(f'keypoint_scores {kpt_scores.shape} do not '
                                 f'match keypoints {keypoints.shape}')
            for key in ('bbox_scores', 'scores'):
                if key in pred_inst:
                    inst_scores = to_numpy(pred_inst[key],
                                           np.float64).reshape(-1)
                    break
            else:
                inst_scores = np.ones(n)
            if inst_scores.shape != (n, ):
                raise ValueError(f'{n} predicted instances but instance '
                                 f'scores of shape {inst_scores.shape}')
            pred = dict(
                img_id=_scalar(sample['img_id']),
                id=(_scalar(sample['id']) if 'id' in sample
                    and to_numpy(sample['id']).size == 1 else None),
                keypoints=keypoints,
                keypoint_scores=kpt_scores,
                instance_scores=inst_scores,
                areas=self._pred_areas(sample, keypoints))
            gt = (self._gt_record(sample)
                  if self.coco is None and not self.format_only else None)
            self.results.append(dict(pred=pred, gt=gt))

    @staticmethod
    def _pred_areas(sample, keypoints) -> np.ndarray:
        """Areas used by OKS NMS: gt bbox_scales (the top-down crop), else
        predicted boxes, else the extent of the predicted keypoints."""
        n = keypoints.shape[0]
        gt_inst = sample.get('gt_instances', {})
        if 'bbox_scales' in gt_inst:
            scales = to_numpy(gt_inst['bbox_scales'], np.float64)
            if scales.size == 2 * n:
                return np.prod(scales.reshape(n, 2), axis=1)
        pred_inst = sample['pred_instances']
        if 'bboxes' in pred_inst:
            boxes = to_numpy(pred_inst['bboxes'], np.float64)
            if boxes.size == 4 * n:
                boxes = boxes.reshape(n, 4)
                return np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
        extent = keypoints.max(axis=1) - keypoints.min(axis=1)
        return np.prod(extent, axis=1)

    def _gt_record(self, sample) -> dict:
        """Ground truth of one sample for building the COCO gt json."""
        if 'img_id' not in sample:
            raise KeyError('CocoKeypointMetric without ann_file needs img_id '
                           'in the data samples')
        img_id = _scalar(sample['img_id'])
        if 'ori_shape' in sample:
            height, width = [int(v) for v in sample['ori_shape'][:2]]
        else:
            height = width = 0
        anns = []
        raw = sample.get('raw_ann_info')
        if raw:
            raw = [raw] if isinstance(raw, dict) else list(raw)
            for ann in raw:
                anns.append(dict(
                    keypoints=list(map(float, ann['keypoints'])),
                    bbox=list(map(float, ann['bbox'])),
                    area=float(ann.get('area',
                                       ann['bbox'][2] * ann['bbox'][3])),
                    iscrowd=int(ann.get('iscrowd', 0)),
                    num_keypoints=int(ann.get(
                        'num_keypoints',
                        np.count_nonzero(np.asarray(ann['keypoints'])[2::3]))),
                    src_id=ann.get('id')))
        else:
            gt_inst = sample.get('gt_instances', {})
            for key in ('keypoints', 'bboxes'):
                if key not in gt_inst:
                    raise KeyError(f'CocoKeypointMetric without ann_file '
                                   f'needs gt_instances.{key} (sample '
                                   f'{sample.get("img_path", img_id)})')
            kpts = to_numpy(gt_inst['keypoints'], np.float64)
            n, k = kpts.shape[:2]
            vis = (to_numpy(gt_inst['keypoints_visible'], np.float64)
                   .reshape(n, k) if 'keypoints_visible' in gt_inst else
                   np.ones((n, k)))
            boxes = to_numpy(gt_inst['bboxes'], np.float64).reshape(n, 4)
            areas = None
            for key in ('areas', 'area'):
                if key in gt_inst:
                    areas = to_numpy(gt_inst[key], np.float64).reshape(n)
            ids = to_numpy(sample['id']).reshape(-1) if 'id' in sample \
                else None
            for i in range(n):
                v = np.where(vis[i] > 0, 2.0, 0.0)
                xyv = np.stack([kpts[i, :, 0], kpts[i, :, 1], v], axis=1)
                xyv[v == 0, :2] = 0.0
                w, h = boxes[i, 2:] - boxes[i, :2]
                area = areas[i] if areas is not None else w * h
                anns.append(dict(
                    keypoints=xyv.reshape(-1).tolist(),
                    bbox=[float(boxes[i, 0]), float(boxes[i, 1]), float(w),
                          float(h)],
                    area=float(area),
                    iscrowd=0,
                    num_keypoints=int(np.count_nonzero(v)),
                    src_id=(ids[i].item() if ids is not None
                            and ids.size == n else None)))
        return dict(img_id=img_id, width=width, height=height, anns=anns)

    # ------------------------------------------------------------ compute
    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        meta = self.dataset_meta or {}
        if 'sigmas' not in meta or meta['sigmas'] is None:
            raise KeyError('CocoKeypointMetric needs dataset_meta["sigmas"]')
        sigmas = np.asarray(meta['sigmas'], dtype=np.float64).reshape(-1)
        num_kpts = {r['pred']['keypoints'].shape[1] for r in results}
        if len(num_kpts) > 1 or (num_kpts and num_kpts != {len(sigmas)}):
            raise ValueError(f'predictions have {sorted(num_kpts)} keypoints '
                             f'but dataset_meta has {len(sigmas)} sigmas')

        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
            os.makedirs(osp.dirname(osp.abspath(outfile_prefix)),
                        exist_ok=True)
        try:
            kept = self._score_and_nms([r['pred'] for r in results], sigmas)
            res_file = self.results2json(kept, outfile_prefix)
            if self.format_only:
                logger.info(f'results written to {res_file}')
                return {}
            if self.coco is None:
                gt_file = self.gt2json([r['gt'] for r in results],
                                       outfile_prefix, len(sigmas))
                from xtcocotools.coco import COCO
                coco_gt = COCO(gt_file)
            else:
                coco_gt = self.coco
            stats = self._coco_eval(coco_gt, res_file, sigmas)
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()
        return stats

    def _score_and_nms(self, preds: List[dict],
                       sigmas: np.ndarray) -> Dict[int, List[dict]]:
        per_image = defaultdict(list)
        seen = set()
        for pred in preds:
            n = pred['keypoints'].shape[0]
            for i in range(n):
                # drop duplicates (padding of distributed samplers)
                if pred['id'] is not None:
                    key = (pred['img_id'], pred['id'], i)
                    if key in seen:
                        continue
                    seen.add(key)
                kpt_scores = pred['keypoint_scores'][i]
                inst_score = float(pred['instance_scores'][i])
                if self.score_mode == 'bbox':
                    score = inst_score
                elif self.score_mode == 'bbox_rle':
                    score = inst_score + float(np.mean(kpt_scores) +
                                               np.max(kpt_scores))
                else:
                    valid = kpt_scores[kpt_scores > self.keypoint_score_thr]
                    score = inst_score * (float(valid.mean())
                                          if len(valid) else 0.0)
                per_image[pred['img_id']].append(dict(
                    img_id=pred['img_id'],
                    keypoints=np.concatenate(
                        [pred['keypoints'][i], kpt_scores[:, None]], axis=1),
                    score=score,
                    area=float(pred['areas'][i])))
        kept = {}
        for img_id, instances in per_image.items():
            if self.nms_mode == 'none':
                kept[img_id] = instances
                continue
            nms = oks_nms if self.nms_mode == 'oks_nms' else soft_oks_nms
            keep = nms(instances, self.nms_thr, sigmas=sigmas)
            kept[img_id] = [instances[k] for k in keep]
        return kept

    def results2json(self, kept: Dict[int, List[dict]],
                     outfile_prefix: str) -> str:
        """Write ``{outfile_prefix}.keypoints.json`` (COCO result format)."""
        out = []
        for img_id in sorted(kept):
            for inst in kept[img_id]:
                out.append(dict(
                    image_id=img_id,
                    category_id=1,
                    keypoints=inst['keypoints'].reshape(-1).tolist(),
                    score=float(inst['score'])))
        res_file = f'{outfile_prefix}.keypoints.json'
        dump(out, res_file, sort_keys=True, indent=4)
        return res_file

    def gt2json(self, gts: List[dict], outfile_prefix: str,
                num_keypoints: int) -> str:
        """Write the ground truth gathered from the samples as a COCO
        keypoint file ``{outfile_prefix}.gt.json``."""
        meta = self.dataset_meta or {}
        id2name = meta.get('keypoint_id2name') or {}
        names = [id2name.get(i, str(i)) for i in range(num_keypoints)]
        links = meta.get('skeleton_links') or []
        images = OrderedDict()
        annotations = []
        seen = set()
        for gt in gts:
            img_id = gt['img_id']
            if img_id not in images:
                images[img_id] = dict(id=img_id, width=gt['width'],
                                      height=gt['height'],
                                      file_name=f'{img_id}')
            for i, ann in enumerate(gt['anns']):
                if ann['src_id'] is not None:
                    key = (img_id, ann['src_id'])
                    if key in seen:
                        continue
                    seen.add(key)
                if len(ann['keypoints']) != 3 * num_keypoints:
                    raise ValueError(
                        f'gt of image {img_id} has '
                        f'{len(ann["keypoints"]) // 3} keypoints, sigmas '
                        f'{num_keypoints}')
                record = {k: v for k, v in ann.items() if k != 'src_id'}
                record.update(id=len(annotations) + 1, image_id=img_id,
                              category_id=1)
                annotations.append(record)
        dataset = dict(
            images=list(images.values()),
            annotations=annotations,
            categories=[dict(id=1, name='person', supercategory='person',
                             keypoints=names,
                             skeleton=[[int(a) + 1, int(b) + 1]
                                       for a, b in links])])
        gt_file = f'{outfile_prefix}.gt.json'
        dump(dataset, gt_file, sort_keys=True, indent=4)
        return gt_file

    def _coco_eval(self, coco_gt, res_file: str,
                   sigmas: np.ndarray) -> Dict[str, float]:
        from xtcocotools.cocoeval import COCOeval
        logger = MMLogger.get_current_instance()
        names = STATS_NAMES[self.iou_type]
        if len(load(res_file)) == 0:
            logger.warning('CocoKeypointMetric: no predictions to evaluate; '
                           'all scores are 0')
            return OrderedDict((k, 0.0) for k in names)
        coco_dt = coco_gt.loadRes(res_file)
        coco_eval = COCOeval(coco_gt, coco_dt, self.iou_type, sigmas,
                             self.use_area)
        coco_eval.params.useSegm = None
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
        return OrderedDict(
            (k, float(v)) for k, v in zip(names, coco_eval.stats))
