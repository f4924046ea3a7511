"""Normalised mean error (face / animal landmarks)."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from kp_ext.registry import METRICS
from kp_ext.utils import to_numpy
from ..functional import keypoint_nme
from .sample_keypoints import paired_keypoints

__all__ = ['NME']


@METRICS.register_module()
class NME(BaseMetric):
    """Normalised mean error, returned as a fraction under key ``'NME'``
    (MMPose's convention; multiply by 100 for the percentages of
    face-alignment papers).

    ``NME = mean over annotated keypoints of |pred - gt| / d`` with ``d``
    per instance:

    - ``norm_mode='keypoint_distance'`` (or ``norm_item='interocular'``):
      the gt distance between ``keypoint_indices`` — for 68-point faces
      (300W / iBUG) the outer eye corners [36, 45], i.e. the inter-ocular
      distance. When ``keypoint_indices`` is None it is looked up from
      ``dataset_meta['dataset_name']`` (300w, face68, wflw, cofw, horse10)
      or, for 68 keypoints, [36, 45].
    - ``norm_mode='use_norm_item'``: ``gt_instances[norm_item]`` (or the
      sample metainfo of that name), e.g. AFLW's ``box_size``. For
      ``norm_item='bbox_size'`` absent from the data it is
      ``sqrt(w * h)`` of the gt box (``gt_instances.bboxes``, xyxy).

    Instances with a zero normaliser are not scored.
    """
    default_prefix: Optional[str] = None

    DEFAULT_KEYPOINT_INDICES = {
        '300w': [36, 45],
        'face68': [36, 45],
        'coco_wholebody_face': [36, 45],
        'wflw': [60, 72],
        'cofw': [8, 9],
        'horse10': [0, 1],
    }

    def __init__(self,
                 norm_mode: str = 'keypoint_distance',
                 norm_item: Optional[str] = None,
                 keypoint_indices: Optional[Sequence[int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if norm_mode not in ('use_norm_item', 'keypoint_distance'):
            raise KeyError("norm_mode must be 'use_norm_item' or "
                           f"'keypoint_distance', got {norm_mode!r}")
        if norm_item == 'interocular':
            norm_mode, norm_item = 'keypoint_distance', None
        if norm_mode == 'use_norm_item' and not norm_item:
            raise KeyError("norm_mode='use_norm_item' needs norm_item")
        if keypoint_indices is not None and len(keypoint_indices) != 2:
            raise ValueError('keypoint_indices must be a pair, got '
                             f'{keypoint_indices}')
        self.norm_mode = norm_mode
        self.norm_item = norm_item
        self.keypoint_indices = (list(keypoint_indices)
                                 if keypoint_indices is not None else None)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, gt, mask = paired_keypoints(sample, 'NME')
            gt_inst = sample['gt_instances']
            n = gt.shape[0]
            result = dict(pred=pred, gt=gt, mask=mask)
            if self.norm_mode == 'use_norm_item':
                result['norm'] = self._norm_item(sample, gt_inst, n)
            self.results.append(result)

    def _norm_item(self, sample, gt_inst, n) -> np.ndarray:
        item = self.norm_item
        if item in gt_inst:
            value = gt_inst[item]
        elif item in sample:
            value = sample[item]
        elif item == 'bbox_size' and 'bboxes' in gt_inst:
            boxes = to_numpy(gt_inst['bboxes'], np.float64).reshape(n, 4)
            wh = boxes[:, 2:] - boxes[:, :2]
            value = np.sqrt(wh[:, 0] * wh[:, 1])
        else:
            raise KeyError(f'NME: the sample {sample.get("img_path")} has no '
                           f'normalisation item {item!r}')
        return to_numpy(value, np.float64).reshape(n)

    def _indices(self, num_keypoints: int):
        if self.keypoint_indices is not None:
            idx = self.keypoint_indices
        else:
            name = (self.dataset_meta or {}).get('dataset_name')
            if name in self.DEFAULT_KEYPOINT_INDICES:
                idx = self.DEFAULT_KEYPOINT_INDICES[name]
            elif num_keypoints == 68:
                idx = [36, 45]
            else:
                raise KeyError(
                    'NME keypoint_distance: no keypoint_indices given and no '
                    f'default for dataset {name!r} with {num_keypoints} '
                    'keypoints')
        for i in idx:
            if not 0 <= i < num_keypoints:
                raise IndexError(f'NME keypoint index {i} out of range for '
                                 f'{num_keypoints} keypoints')
        return idx

    def compute_metrics(self, results: list) -> Dict[str, float]:
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        if self.norm_mode == 'use_norm_item':
            norm = np.concatenate([r['norm'] for r in results])
            how = self.norm_item
        else:
            i, j = self._indices(gt.shape[1])
            norm = np.linalg.norm(gt[:, i] - gt[:, j], axis=-1)
            how = f'distance of keypoints {i} and {j}'
        nme = keypoint_nme(pred, gt, mask, np.stack([norm, norm], axis=1))
        MMLogger.get_current_instance().info(
            f'NME (normalised by {how}): {nme:.5f}')
        return {'NME': nme}
